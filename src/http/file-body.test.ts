// file-body.ts over a real HTTP server on loopback: whole files and ranges arrive byte for byte (sizes
// on and off the chunk boundary), the file is closed after the answer and after a client that leaves
// midway, and only an untouched file ReadStream takes this path.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, get, type Server } from "node:http";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { fstat } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { untouchedFileRange, writeFileRange } from "./file-body.js";

const CHUNK = 256 * 1024;
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

interface Served { server: Server; port: number; outcomes: Array<Promise<string>>; fds: number[] }

/** A server that answers every GET with `path`'s bytes in `range` (or all of them), through writeFileRange. */
async function serve(path: string, range?: { start: number; end: number }): Promise<Served> {
  const outcomes: Array<Promise<string>> = [];
  const fds: number[] = [];
  const server = createServer((_req, res) => {
    outcomes.push((async () => {
      const fh = await open(path, "r");
      const stream = fh.createReadStream({ ...range, highWaterMark: CHUNK, autoClose: true });
      const r = untouchedFileRange(stream);
      assert.ok(r, "an untouched file stream has a range");
      fds.push(r.fd);
      res.writeHead(200);
      try {
        await writeFileRange(res, stream, r);
        return "done";
      } catch (err) {
        return (err as NodeJS.ErrnoException).code ?? String(err);
      }
    })());
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  return { server, port, outcomes, fds };
}

function fetchAll(port: number): Promise<Buffer> {
  return new Promise((ok, fail) => {
    get({ host: "127.0.0.1", port, path: "/" }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => ok(Buffer.concat(parts)));
      res.on("error", fail);
    }).on("error", fail);
  });
}

/** Whether `fd` is closed within a second (destroy() closes it asynchronously). */
async function isClosed(fd: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (await new Promise<boolean>((ok) => fstat(fd, (err) => ok(err?.code === "EBADF")))) return true;
    await new Promise((ok) => setTimeout(ok, 20));
  }
  return false;
}

async function withFile<T>(bytes: Buffer, fn: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "cove-file-body-"));
  try {
    const path = join(dir, "blob");
    await writeFile(path, bytes);
    return await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 5 * CHUNK + 12_345]) {
  test(`a whole file of ${size} bytes arrives byte for byte, and its file is closed after`, async () => {
    const bytes = randomBytes(size);
    await withFile(bytes, async (path) => {
      const s = await serve(path);
      try {
        const got = await fetchAll(s.port);
        assert.equal(got.length, size);
        assert.equal(sha(got), sha(bytes));
        assert.equal(await s.outcomes[0], "done");
        assert.ok(await isClosed(s.fds[0]!), "the fd is closed");
      } finally {
        s.server.close();
      }
    });
  });
}

for (const [start, end] of [[0, 0], [10, CHUNK + 10], [CHUNK, 2 * CHUNK - 1], [3 * CHUNK - 7, 4 * CHUNK + 99]] as const) {
  test(`the range ${start}-${end} of a file arrives byte for byte`, async () => {
    const bytes = randomBytes(5 * CHUNK);
    await withFile(bytes, async (path) => {
      const s = await serve(path, { start, end });
      try {
        const got = await fetchAll(s.port);
        assert.equal(sha(got), sha(bytes.subarray(start, end + 1)));
        assert.equal(await s.outcomes[0], "done");
      } finally {
        s.server.close();
      }
    });
  });
}

test("a client that leaves midway: the write ends in ERR_STREAM_PREMATURE_CLOSE and the file is closed", async () => {
  await withFile(randomBytes(64 * CHUNK), async (path) => {
    const s = await serve(path);
    try {
      await new Promise<void>((ok, fail) => {
        const req = get({ host: "127.0.0.1", port: s.port, path: "/" }, (res) => {
          let seen = 0;
          res.on("data", (c: Buffer) => {
            seen += c.length;
            if (seen >= CHUNK) { req.destroy(); ok(); }
          });
        });
        req.on("error", () => undefined);
        setTimeout(() => fail(new Error("no bytes within 5 s")), 5000).unref();
      });
      assert.equal(await s.outcomes[0], "ERR_STREAM_PREMATURE_CLOSE");
      assert.ok(await isClosed(s.fds[0]!), "the fd is closed");
    } finally {
      s.server.close();
    }
  });
});

test("only an untouched file ReadStream has a range: not one already read from, not another stream", async () => {
  await withFile(randomBytes(1000), async (path) => {
    const fh = await open(path, "r");
    const stream = fh.createReadStream({ start: 5, autoClose: true });
    assert.deepEqual(untouchedFileRange(stream), { fd: fh.fd, start: 5, end: Infinity });
    for await (const _ of stream) break; // reads, then destroys
    assert.equal(untouchedFileRange(stream), undefined);
    assert.equal(untouchedFileRange(Readable.from([Buffer.from("x")])), undefined);
    assert.equal(untouchedFileRange(Buffer.from("x")), undefined);
  });
});
