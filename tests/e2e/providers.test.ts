// The seam for real, on the implementation the suite runs on (PROVIDER):
// typed diffs, drift mended, and a flip of the provider setting that
// replaces every resource and keeps the images.
import * as assert from "assert";
import { BASE_IMAGE, BUSYBOX, BUSYBOX_TAR, missingPlugins, must, PROVIDER, requirePrerequisites, run, Stack } from "./harness";
import { TWIN_TYPES } from "../../components/plugins/twins";

const id = process.pid.toString(36);
// Per run, so that two runs on one machine do not share a port.
const PORT = 17000 + (process.pid % 400) * 2;
const OTHER = PROVIDER === "pulumi" ? "ndind" : "pulumi";
const SERVED = new Set(Object.values(TWIN_TYPES).flatMap((t) => Object.values(t)));

interface Step { op: string; urn: string; }

function steps(s: Stack): Step[] {
    return (JSON.parse(s.pulumi("preview", "--json", "--diff")) as { steps: Step[] }).steps;
}

const typeOf = (urn: string) => urn.split("::")[2].split("$").pop() ?? "";
const nameOf = (urn: string) => urn.split("::").pop() ?? "";

describe(`provider ${PROVIDER} (end to end)`, function () {
    let s: Stack;

    before(() => {
        requirePrerequisites();
        s = new Stack(`e2e-${id}-p`, { baseImage: BASE_IMAGE, preload: [BUSYBOX_TAR], ports: [`${PORT}:8080`] });
        s.up();
    });
    after(() => s?.remove());

    it("a changed published port previews as ports[0].external, replacing the wrapper and leaving the storage", () => {
        s.set("ports", [`${PORT + 1}:8080`]);
        try {
            const text = s.pulumi("preview", "--diff");
            console.log(text.split("\n").filter((l) => /ports|\[0\]|external|^\s*[}\]]\s*$/.test(l)).slice(0, 8).join("\n"));
            assert.match(text, new RegExp(`~ ports\\s*: \\[\\s+~ \\[0\\]: \\{\\s+~ external\\s*: ${PORT} => ${PORT + 1}`), text);
            assert.doesNotMatch(text, /options/, "the container's inputs are a list of docker run options again");
            const ops = new Map(steps(s).map((st) => [nameOf(st.urn), st.op]));
            assert.strictEqual(ops.get("nerdctl-dind-wrapper-container"), "replace", JSON.stringify([...ops]));
            assert.ok([undefined, "same"].includes(ops.get("nerdctl-dind-storage-folder")), JSON.stringify([...ops]));
        } finally {
            s.set("ports", [`${PORT}:8080`]);
        }
    });

    it("a wrapper stopped behind Pulumi's back: refresh sees it gone, up starts a new one, the images stay", () => {
        const before = must("docker", ["inspect", "-f", "{{.Id}}", s.container]).trim();
        must("docker", ["stop", s.container]);
        s.pulumi("refresh", "--yes", "--skip-preview");
        s.up();
        assert.strictEqual(must("docker", ["inspect", "-f", "{{.State.Running}}", s.container]).trim(), "true");
        assert.notStrictEqual(must("docker", ["inspect", "-f", "{{.Id}}", s.container]).trim(), before);
        assert.match(s.exec("nerdctl", "images").out, /busybox\s+ndind/);
        assert.match(String(s.outputs().prepareReport), /preload summary: loaded=0 present=1/);
    });

    it(`a flip to ${OTHER} replaces the image, the wrapper and what runs in it, moves the rest, and keeps the images`, function () {
        const missing = missingPlugins(OTHER);
        if (missing.length) {
            console.log(`      not run: ${missing.join("; ")}`);
            this.skip();
        }
        s.set("plugins", OTHER);
        try {
            // What runs in the engine is replaced. A command whose inputs do not
            // change (the bundle build, the storage folder) is moved to the new
            // provider as it is: the engine's "same", nothing to run again.
            const served = steps(s).filter((st) => SERVED.has(typeOf(st.urn)));
            for (const st of served) {
                // docker.Image rebuilds in place, whatever held the image before.
                const ok = OTHER === "pulumi" && nameOf(st.urn) === "nerdctl-dind-image-build" ? ["update", "replace"] : ["replace"];
                assert.ok(ok.includes(st.op), `${nameOf(st.urn)} (${typeOf(st.urn)}): ${st.op}`);
            }
            const replaced = served.map((st) => nameOf(st.urn)).sort();
            for (const step of ["image-build", "wrapper-container", "prepare-run", "registries-configure", "verify-run", "report-run"]) {
                assert.ok(replaced.includes(`nerdctl-dind-${step}`), `${step} not replaced: ${replaced.join(", ")}`);
            }
            s.up();
            const kinds = JSON.stringify(JSON.parse(s.pulumi("stack", "export")));
            for (const t of Object.values(TWIN_TYPES)) {
                assert.ok(kinds.includes(`"type":"${t[OTHER]}"`), `no ${t[OTHER]} in the state after the flip`);
                assert.ok(!kinds.includes(`"type":"${t[PROVIDER as "pulumi" | "ndind"]}"`), `${t[PROVIDER as "pulumi" | "ndind"]} left in the state`);
            }
            assert.match(s.exec("nerdctl", "images").out, /busybox\s+ndind/);
            const r = s.exec("nerdctl", "run", "--rm", BUSYBOX, "echo", "ok");
            assert.strictEqual(r.out.trim(), "ok", r.out);
        } finally {
            // Back, so that remove() destroys with what the suite was asked to run on.
            s.set("plugins", PROVIDER);
            run("pulumi", ["up", "--yes", "--skip-preview", "--stack", s.name, "--non-interactive"]);
        }
    });
});
