// make logs' redaction (tools/redact.ts): which values are secret (the stack
// file's secure leaves, nothing else), the forms each is looked for in, and
// the replacement.
import * as assert from "assert";
import { redact, secretForms, securePaths } from "../../tools/redact";

// A stack file as Pulumi writes it, and `pulumi config --show-secrets --json` for it.
const STACK_FILE = {
    config: {
        "nerdctl-dind:registryAuth": { "reg.lan:5000": { username: "ann", password: { secure: "v1:x" } } },
        "nerdctl-dind:httpProxy": { secure: "v1:y" },
        "nerdctl-dind:dockerTlsKey": { secure: "v1:z" },
        "nerdctl-dind:noProxy": "localhost",
    },
};
const KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBr9x0aQ2lW1c3sDAbcdEFGHijklMNOPqrstUVWXyz01oAoGCCqGSM49\nAwEHoUQDQgAE\n-----END EC PRIVATE KEY-----\n";
const SHOWN = {
    "nerdctl-dind:registryAuth": {
        value: "{}", secret: true,
        objectValue: { "reg.lan:5000": { username: "ann", password: "pw-Zq7x" } },
    },
    "nerdctl-dind:httpProxy": { value: "http://bob:p%40ss-K3v9@10.0.0.5:8888", secret: true },
    "nerdctl-dind:dockerTlsKey": { value: KEY, secret: true },
    "nerdctl-dind:noProxy": { value: "localhost", secret: false },
};

describe("make logs: secrets", () => {
    it("the secure leaves of a stack file, at any depth", () => {
        assert.deepStrictEqual(securePaths(STACK_FILE.config), [
            ["nerdctl-dind:registryAuth", "reg.lan:5000", "password"], ["nerdctl-dind:httpProxy"], ["nerdctl-dind:dockerTlsKey"],
        ]);
    });

    it("each secret in every form a log could hold, and nothing that is not secret (the user name, noProxy)", () => {
        const values = secretForms(SHOWN, STACK_FILE).map((f) => f.value);
        for (const v of ["pw-Zq7x", Buffer.from("ann:pw-Zq7x").toString("base64"), "http://bob:p%40ss-K3v9@10.0.0.5:8888",
            "p@ss-K3v9", "p%40ss-K3v9", KEY, "MHcCAQEEIBr9x0aQ2lW1c3sDAbcdEFGHijklMNOPqrstUVWXyz01oAoGCCqGSM49"]) {
            assert.ok(values.includes(v), `missing form ${v}`);
        }
        assert.ok(!values.includes("ann") && !values.includes("localhost"), JSON.stringify(values));
    });

    it("replaces every occurrence, the whole URL before its password, and names what it found", () => {
        const forms = secretForms(SHOWN, STACK_FILE);
        const r = redact("proxy http://bob:p%40ss-K3v9@10.0.0.5:8888 and p@ss-K3v9; auth pw-Zq7x pw-Zq7x", forms);
        assert.strictEqual(r.text, "proxy [redacted: nerdctl-dind:httpProxy] and [redacted: nerdctl-dind:httpProxy (its password)]; " +
            "auth [redacted: nerdctl-dind:registryAuth.reg.lan:5000.password] [redacted: nerdctl-dind:registryAuth.reg.lan:5000.password]");
        assert.deepStrictEqual(r.found.sort(), ["nerdctl-dind:httpProxy", "nerdctl-dind:httpProxy (its password)", "nerdctl-dind:registryAuth.reg.lan:5000.password"]);
    });

    it("a value too short to look for is left alone (it would match ordinary text)", () => {
        const r = redact("abc", [{ name: "x", value: "ab" }]);
        assert.deepStrictEqual(r, { text: "abc", found: [] });
    });
});
