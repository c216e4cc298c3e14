// make env (tools/env.sh): a shell that evaluates its output holds what every
// make verb's recipe holds, for each variable the Makefile exports or
// unexports, whatever they are; values survive any quoting.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

function sh(script: string, env: NodeJS.ProcessEnv): string {
    const r = spawnSync("sh", ["-c", script], { cwd: ROOT, env, encoding: "utf8" });
    assert.strictEqual(r.status, 0, `${script}: ${r.stderr}`);
    return r.stdout;
}

/** NAME=value lines of an environment, for the names the Makefile is about. */
function pick(envText: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of envText.split("\n")) {
        const m = /^((?:PULUMI|NDIND)_[A-Z_]*|PATH)=(.*)$/.exec(line);
        if (m) out[m[1]] = m[2];
    }
    return out;
}

describe("make env", () => {
    // The caller's environment without any of the Makefile's variables, plus what a case adds.
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(PULUMI|NDIND)_|^MAKE/.test(k)));

    for (const [what, extra] of [
        ["a fresh shell", {}],
        ["a shell with an empty PULUMI_CONFIG_PASSPHRASE (which the Makefile unexports)", { PULUMI_CONFIG_PASSPHRASE: "" }],
        ["a shell with a backend of its own", { PULUMI_BACKEND_URL: "file:///tmp/elsewhere" }],
    ] as [string, Record<string, string>][]) {
        it(`${what}: after eval "$(make env)", the same variables as a make recipe`, () => {
            const env = { ...base, ...extra };
            const recipe = pick(sh("make -s --no-print-directory --eval 'tools-env-probe: ; @env' tools-env-probe", env));
            const evaluated = pick(sh('eval "$(make -s --no-print-directory env)" && env', env));
            assert.ok(recipe.PULUMI_BACKEND_URL && recipe.PATH, JSON.stringify(recipe));
            // PATH is the recipe's without repeats: the same lookups.
            const dedupe = (p: string) => [...new Set(p.split(":"))].join(":");
            assert.deepStrictEqual({ ...evaluated, PATH: dedupe(evaluated.PATH) }, { ...recipe, PATH: dedupe(recipe.PATH) });
        });
    }

    it("quotes any value so that eval gives it back as it was", () => {
        const value = "it's $HOME `x` \"y\" a  b";
        const out = sh("sh tools/env.sh ODD -- GONE", { ...base, ODD: value });
        assert.match(out, /^unset GONE$/m);
        assert.strictEqual(sh(`${out}\nprintf '%s' "$ODD"`, base), value);
    });
});
