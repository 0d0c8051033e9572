// The $filter forms az 2.45 sends, as tables: what parses to which clauses, what matches which
// rendered object, and what is refused with a message naming the unsupported part.
import { test } from "node:test";
import assert from "node:assert/strict";
import { matches, parseFilter, type FilterSpec } from "../../src/identity/graph/filter.js";
import { applicationObjectId } from "../../src/identity/graph/directory.js";
import { isDomainError } from "../../src/domain/errors.js";

const SP: FilterSpec = { eq: ["id", "appId", "displayName", "servicePrincipalType"], startswith: ["displayName"], any: ["servicePrincipalNames"] };
const sp = {
  id: "6c1e6f0e-0000-4000-8000-000000000001",
  appId: "0f3b5d7a-1111-4222-8333-444455556666",
  displayName: "ci-pusher",
  servicePrincipalType: "Application",
  servicePrincipalNames: ["0f3b5d7a-1111-4222-8333-444455556666", "api://ci"],
};

test("az's forms parse and match as Entra answers them (case-insensitive values)", () => {
  const cases: [string, boolean][] = [
    ["servicePrincipalNames/any(c:c eq '0f3b5d7a-1111-4222-8333-444455556666')", true],
    ["servicePrincipalNames/any(c:c eq 'API://CI')", true],
    ["servicePrincipalNames/any(x:x eq 'api://other')", false],
    ["appId eq '0F3B5D7A-1111-4222-8333-444455556666'", true],
    ["displayName eq 'ci-pusher'", true],
    ["displayName eq 'ci'", false],
    ["startswith(displayName,'CI-')", true],
    ["startswith(displayName, 'pusher')", false],
    ["displayName eq 'ci-pusher' and startswith(displayName,'ci')", true],
    ["(appId eq '0f3b5d7a-1111-4222-8333-444455556666') and (servicePrincipalType eq 'Application')", true],
    ["displayName eq 'ci-pusher' and servicePrincipalType eq 'ManagedIdentity'", false],
    ["APPID EQ '0f3b5d7a-1111-4222-8333-444455556666'", true],
  ];
  for (const [f, want] of cases) assert.equal(matches(sp, parseFilter(f, SP)), want, f);
});

test("OData string literals: '' is a quote, anything else inside is literal", () => {
  assert.deepEqual(parseFilter("displayName eq 'O''Brien (dev), a/b'", SP), [{ kind: "eq", property: "displayName", value: "O'Brien (dev), a/b" }]);
  assert.equal(matches({ ...sp, displayName: "O'Brien" }, parseFilter("startswith(displayName,'o''b')", SP)), true);
});

test("what Cove does not support is refused, naming it, never answered as 'nothing matched'", () => {
  const cases: [string, RegExp][] = [
    ["displayName eq 'a' or displayName eq 'b'", /'or' is not supported/],
    ["not (displayName eq 'a')", /'not' is not supported/],
    ["displayName ne 'a'", /'ne' is not supported/],
    ["endswith(displayName,'a')", /'endswith' is not supported/],
    ["displayName eq true", /a quoted string was expected/],
    ["accountEnabled eq 'true'", /'accountEnabled eq' is not supported on this collection/],
    ["homepage eq 'x'", /'homepage eq' is not supported on this collection/],
    ["identifierUris/any(s:s eq 'x')", /identifierUris\/any\(\.\.\.\)' is not supported on this collection/],
    ["servicePrincipalNames/any(c:d eq 'x')", /compare its own variable 'c'/],
    ["servicePrincipalNames/all(c:c eq 'x')", /'all' is not supported/],
    ["displayName eq 'unterminated", /no closing quote/],
    ["displayName eq 'a' and", /ends where a name was expected/],
    ["(displayName eq 'a'", /'\)' was expected|ends where/],
    ["displayName eq 'a' displayName eq 'b'", /'and' was expected/],
    ["appId eq 'a' ; drop", /';' at character/],
    ["", /empty/],
    ["x".repeat(3000), /longer than 2048/],
    [Array.from({ length: 17 }, () => "displayName eq 'a'").join(" and "), /more than 16 clauses/],
  ];
  for (const [f, msg] of cases) {
    assert.throws(() => parseFilter(f, SP), (e: unknown) => {
      assert.ok(isDomainError(e), f);
      assert.equal(e.code, "Graph.UnsupportedQuery", f);
      assert.match(e.message, msg, f);
      assert.match(e.message, /^Unsupported query: .*Cove supports/, f);
      return true;
    }, f);
  }
});

test("an application's object id is derived from the principal's: stable, a GUID, never the same", () => {
  const oid = "6c1e6f0e-0000-4000-8000-000000000001";
  const a = applicationObjectId(oid);
  assert.equal(a, applicationObjectId(oid.toUpperCase()), "the same id whatever the case");
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, "version-5 layout");
  assert.notEqual(a, oid);
  assert.notEqual(applicationObjectId("6c1e6f0e-0000-4000-8000-000000000002"), a);
});
