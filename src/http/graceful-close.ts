// Stopping the registry listeners within the grace period: held (denied) connections are cut at
// once, idle keep-alive connections close as their last request finishes, and whatever is still
// busy when the grace period ends is destroyed.
import type { Listener } from "./listener.js";
import type { PrivateListeners } from "./listeners.js";

export async function closeGracefully(fixed: Listener[], pl: PrivateListeners, graceSeconds: number, cutHeld: () => void): Promise<void> {
  cutHeld();
  const listeners = [...fixed, ...pl.listeners()];
  const closed = Promise.all([...fixed.map((l) => l.close(false)), pl.close(false)]);
  // Keep-alive connections go idle as their last request finishes: close each as soon as it does,
  // rather than waiting for the keep-alive timeout.
  const reaper = setInterval(() => { for (const l of listeners) l.server.closeIdleConnections(); }, 50);
  for (const l of listeners) l.server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((ok) => { timer = setTimeout(ok, graceSeconds * 1000); });
  await Promise.race([closed, grace]);
  clearInterval(reaper);
  clearTimeout(timer);
  for (const l of listeners) for (const sock of l.connections) sock.destroy();
  await closed;
}
