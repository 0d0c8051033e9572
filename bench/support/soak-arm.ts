// The soak's management writes, through Microsoft's SDK clients, one per slot, cycling:
//   0  create a private endpoint `cycle-pe` in the hub asking for manual approval (Pending)
//   1  approve its connection (even cycles) or reject it (odd cycles); an approved endpoint's login
//      address must then answer a client in the hub (401, the registry's challenge) within 2 s
//   2  rewrite the zone's A record `soak-cycle` to that endpoint's address (the DNS load asks for it)
//   3  delete the endpoint (its listeners close, its addresses are freed for the next cycle)
// A failed step is counted and tried again at the next slot, so the cycle never skips a state.
import { setTimeout as sleep } from "node:timers/promises";
import { https } from "../../test/support/http.js";
import type { Outcome } from "./soak-workload.js";
import { ADDRESSES, GROUP, REGISTRY, connectionOf, type SoakLanding } from "./soak-landing.js";

export const CYCLE_RECORD = "soak-cycle";
const PE = "cycle-pe";

export interface ArmLoop {
  step(): Promise<Outcome>;
  /** Cycles completed, and how many were approved / rejected. */
  stats(): { cycles: number; approved: number; rejected: number };
}

export function armLoop(z: SoakLanding): ArmLoop {
  let phase = 0;
  let cycle = 0;
  let approved = 0;
  let rejected = 0;
  let loginIp = "";

  const answers = async (ip: string) => {
    try {
      const r = await https(`https://${ip}:${z.registryPort}/v2/`, { ca: z.ca, host: `${z.loginHost}:${z.registryPort}`, localAddress: ADDRESSES.hubClient });
      return r.status === 401;
    } catch {
      return false; // not listening yet
    }
  };

  const steps: (() => Promise<void>)[] = [
    async () => {
      const pe = await z.net.privateEndpoints.beginCreateOrUpdateAndWait(GROUP, PE, {
        location: "westeurope", subnet: { id: z.peSubnetId },
        manualPrivateLinkServiceConnections: [{ name: `${PE}-conn`, privateLinkServiceId: z.registryId, groupIds: ["registry"], requestMessage: `cycle ${cycle}` }],
      });
      const ip = pe.customDnsConfigs?.find((d) => d.fqdn === z.loginHost)?.ipAddresses?.[0];
      if (!ip) throw new Error("the created endpoint names no address for the login host");
      loginIp = ip;
    },
    async () => {
      const approve = cycle % 2 === 0;
      const status = approve ? "Approved" : "Rejected";
      await z.acr.privateEndpointConnections.beginCreateOrUpdateAndWait(GROUP, REGISTRY, await connectionOf(z, PE), {
        privateLinkServiceConnectionState: { status, description: `soak cycle ${cycle}` },
      } as never);
      if (!approve) { rejected++; return; }
      approved++;
      for (const deadline = Date.now() + 2000; !(await answers(loginIp));) {
        if (Date.now() > deadline) throw new Error("an approved endpoint's login address did not answer within 2 s");
        await sleep(100);
      }
    },
    async () => {
      await z.dns.recordSets.createOrUpdate(GROUP, z.zoneName, "A", CYCLE_RECORD, { ttl: 10, aRecords: [{ ipv4Address: loginIp }] });
    },
    async () => {
      await z.net.privateEndpoints.beginDeleteAndWait(GROUP, PE);
    },
  ];

  return {
    async step() {
      await steps[phase]!();
      phase = (phase + 1) % steps.length;
      if (phase === 0) cycle++;
      return "ok";
    },
    stats: () => ({ cycles: cycle, approved, rejected }),
  };
}
