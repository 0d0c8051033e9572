// What the policy tests share: Microsoft's three policy clients against a test Cove (as a landing
// zone's scripts make them), and the two small helpers every such test needs.
import assert from "node:assert/strict";
import { PolicyClient } from "@azure/arm-policy";
import { PolicyClient as ExemptionClient } from "@azure/arm-policy-5";
import { PolicyInsightsClient } from "@azure/arm-policyinsights";
import type { TokenCredential } from "@azure/core-auth";
import type { TestCove } from "../support/cove.js";
import { clients } from "../support/arm.js";

/** Client options for a test Cove: its endpoint and CA, no retries. */
export const armOptions = (cove: TestCove) => ({ endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca }, retryOptions: { maxRetries: 0 } }) as any;

/** @azure/arm-policy 7 (definitions, assignments), 5.1 (exemptions) and @azure/arm-policyinsights 6. */
export function policyClients(cove: TestCove, cred: TokenCredential = clients(cove).cred) {
  const sub = cove.credentials.subscriptionId;
  return {
    policy: new PolicyClient(cred, sub, armOptions(cove)),
    exemptions: new ExemptionClient(cred, sub, armOptions(cove)),
    insights: new PolicyInsightsClient(cred, sub, armOptions(cove)),
  };
}

/** The error a request is expected to end with; fails the test when it succeeds. */
export async function refusal(p: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as never;
  }
  assert.fail("the request was expected to be refused");
}

export async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
