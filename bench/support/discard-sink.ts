// `node dist/bench/support/discard-sink.js <cert.pem> <key.pem>`: an HTTPS server on 127.0.0.1 that
// reads every request body to the end, keeps none of it, and answers 201 with the byte count. The
// fleet bench pushes its 1 GiB blob here with the same Node client it uses on Cove: what the client and
// TLS alone reach on this machine, next to the ceiling and Cove's figure. Prints its port on stdout.
// It exits when its parent does (stdin closes), so a killed bench leaves no sink behind.
import { readFileSync } from "node:fs";
import { createServer } from "node:https";

const [certPath, keyPath] = process.argv.slice(2);
if (!certPath || !keyPath) {
  console.error("usage: discard-sink.js <cert.pem> <key.pem>");
  process.exit(2);
}

const server = createServer({ cert: readFileSync(certPath), key: readFileSync(keyPath) }, (req, res) => {
  let bytes = 0;
  req.on("data", (c: Buffer) => { bytes += c.length; });
  req.on("end", () => {
    res.writeHead(201, { "content-type": "text/plain" });
    res.end(String(bytes));
  });
  req.on("error", () => res.destroy());
});

server.listen(0, "127.0.0.1", () => {
  const a = server.address();
  console.log(typeof a === "object" && a ? a.port : 0);
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
