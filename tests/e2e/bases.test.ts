// The wrapper on the bases and iptables backends users have (issue: the
// wrapper runs on the bases and kernels users have): on the offline Alpine
// base (what `make stack` gives where no registry answers) and the offline
// Debian one, `up` with iptablesBackend auto, legacy and nft proves an inner
// container runs, and a port published on both layers carries the host's
// traffic to an inner container, with rules in the chosen backend only. And a
// wrapper that cannot start a container fails `up`, naming why.
import * as assert from "assert";
import { ALPINE_BASE, BASE_IMAGE, BUSYBOX, BUSYBOX_TAR, requirePrerequisites, run, Stack, waitFor } from "./harness";

const id = process.pid.toString(36);
const BASES: [string, string, number][] = [[ALPINE_BASE, "alp", 18580], [BASE_IMAGE, "deb", 18581]];
const PAGE = "served-through-the-wrapper";

for (const [base, short, hostPort] of BASES) {
    describe(`the wrapper on ${base} (end to end)`, function () {
        let s: Stack;

        before(() => {
            requirePrerequisites();
            s = new Stack(`e2e-${id}-${short}`, { baseImage: base, preload: [BUSYBOX_TAR], ports: [`${hostPort}:8080`] });
        });
        after(() => s?.remove());

        for (const backend of ["auto", "legacy", "nft"]) {
            it(`iptablesBackend ${backend}: up proves a container runs; host traffic reaches an inner container`, async () => {
                s.set("iptablesBackend", backend);
                s.up();
                const out = s.outputs();
                // auto: legacy first, when its nat table opens in the wrapper (checked here on its own).
                const legacyOpens = s.exec("xtables-legacy-multi", "iptables", "-t", "nat", "-S").code === 0;
                const chosen = backend !== "auto" ? backend : legacyOpens ? "legacy" : "nft";
                assert.strictEqual(out.iptablesBackend, chosen);
                assert.match(String(out.probe),
                    new RegExp(`^ok: an inner container started on the default network \\(MTU \\d+\\) and answered on [0-9.]+:\\d+ \\(iptables ${chosen}\\)$`));
                assert.strictEqual(s.exec("iptables", "-V").out.includes(chosen === "nft" ? "nf_tables" : "legacy"), true);

                const web = s.exec("nerdctl", "run", "-d", "--name", "web", "-p", "8080:80", BUSYBOX,
                    "sh", "-c", `echo ${PAGE} > /www/index.html && exec httpd -f -p 80 -h /www`);
                assert.strictEqual(web.code, 0, web.out);
                try {
                    await waitFor(`the inner httpd on 127.0.0.1:${hostPort}`, 30,
                        () => run("curl", ["-s", "--max-time", "2", `http://127.0.0.1:${hostPort}/`]).out.includes(PAGE));
                    const other = chosen === "nft" ? "legacy" : "nft";
                    assert.match(s.exec(`xtables-${chosen}-multi`, "iptables-save", "-t", "nat").out, /CNI-HOSTPORT-DNAT/);
                    assert.doesNotMatch(s.exec(`xtables-${other}-multi`, "iptables-save").out, /CNI-/,
                        `the ${other} backend holds CNI rules too`);
                } finally {
                    s.exec("nerdctl", "rm", "-f", "web");
                }
            });
        }

        if (base === BASE_IMAGE) {
            it("a wrapper that cannot start a container (privileged false): up fails naming why; the images stay", async () => {
                s.set("privileged", "false");
                const r = run("pulumi", ["up", "--yes", "--skip-preview", "--stack", s.name, "--non-interactive"]);
                assert.notStrictEqual(r.code, 0, `up succeeded:\n${r.out.slice(-2000)}`);
                assert.match(r.out, /an inner container cannot start on the default network \(iptables \w+\): .*cgroup/);
                await waitFor("the health check saying why", 30, () => /an inner container cannot start/.test(
                    run("docker", ["inspect", "-f", "{{range .State.Health.Log}}{{.Output}}{{end}}", s.container]).out));
                s.set("privileged", "true");
                s.up();
                assert.match(String(s.outputs().imageTable), /busybox\s+ndind/);
            });
        }
    });
}
