// Versions that follow the release: the CNI plugins, BuildKit and tini the
// stack leaves unset are what its nerdctl release's own Dockerfile pins,
// read by build.sh at preview, named in the bundle step's environment (so a
// preview of another nerdctlVersion shows each one it brings) and in the
// versions output; a version the stack sets stays. Pulumi mocks; build.sh
// reads the releases' Dockerfiles from Go's module cache.
import * as assert from "assert";
import * as os from "os";
import * as path from "path";
import { find, NO_CONTEXTS, PROJECT_ROOT, promiseOf, recorded, stackDefaults, TYPES, useMocks } from "./mocks";

useMocks();
import { RawSettings } from "../../components/settings/catalog";
import { parseSettings } from "../../components/settings/validate";
import { NerdctlEnvironment } from "../../components/environment";
import { BundleVersions } from "../../components/settings/types";

// A developer's nerdctl/src would stand in for the release trees asked for here.
process.env.NDIND_NERDCTL_SRC = path.join(os.tmpdir(), "ndind-no-nerdctl-src");

type Env = Record<string, string>;

/** The bundle step's environment and trigger, and the versions output, of a stack with OVERRIDES. */
async function graph(overrides: RawSettings): Promise<{ env: Env; key: string; versions: BundleVersions }> {
    recorded.length = 0;
    const s = parseSettings({ ...stackDefaults("ndind"), ...overrides }, "nerdctl-dind", "dev", PROJECT_ROOT, NO_CONTEXTS);
    const environment = new NerdctlEnvironment("env-dev", { ...s, engine: { ...s.engine, arch: "amd64" } });
    await promiseOf(environment.imageList);
    const [bundle] = find(TYPES.ndind.command, "env-dev-bundle");
    return { env: bundle.inputs.environment as Env, key: (bundle.inputs.triggers as string[])[0], versions: environment.versions };
}

/** The environment variables whose values differ between A and B (what the preview's diff of the bundle step lists). */
function changed(a: Env, b: Env): string[] {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();
}

describe("versions that follow the nerdctl release", function () {
    // Each graph runs build.sh --keys: seconds on a busy machine.
    this.timeout(60000);

    it("a stack that sets none takes nerdctl 1.5.0's pins: CNI plugins 1.3.0, BuildKit 0.12.0, tini 0.19.0", async () => {
        const g = await graph({});
        assert.deepStrictEqual([g.env.CNI_PLUGINS_VERSION, g.env.BUILDKIT_VERSION, g.env.TINI_VERSION], ["1.3.0", "0.12.0", "0.19.0"]);
        assert.deepStrictEqual(g.versions, { containerd: "1.7.2", runc: "1.1.7", cniPlugins: "1.3.0", nerdctl: "1.5.0", buildkit: "0.12.0", tini: "0.19.0" });
        assert.match(g.key, /_cni-1\.3\.0_nerdctl-1\.5\.0-[0-9a-f]{12}_tini-0\.19\.0_buildkit-0\.12\.0_/);
    });

    it("moved to nerdctl 2.1.3, the CNI plugins and BuildKit follow it (1.7.1, 0.23.2), and the preview names both", async () => {
        const before = await graph({});
        const after = await graph({ nerdctlVersion: "2.1.3" });
        assert.deepStrictEqual(after.versions, { containerd: "1.7.2", runc: "1.1.7", cniPlugins: "1.7.1", nerdctl: "2.1.3", buildkit: "0.23.2", tini: "0.19.0" });
        assert.match(after.key, /_cni-1\.7\.1_nerdctl-2\.1\.3-unpatched_tini-0\.19\.0_buildkit-0\.23\.2_/);
        assert.deepStrictEqual(changed(before.env, after.env), ["BUILDKIT_VERSION", "CNI_PLUGINS_VERSION", "NERDCTL_VERSION"]);
    });

    it("keeps a CNI plugins or BuildKit version the stack sets", async () => {
        const g = await graph({ nerdctlVersion: "2.1.3", cniPluginsVersion: "1.3.0", buildkitVersion: "0.12.0" });
        assert.deepStrictEqual([g.env.CNI_PLUGINS_VERSION, g.env.BUILDKIT_VERSION], ["1.3.0", "0.12.0"]);
        assert.deepStrictEqual(g.versions, { containerd: "1.7.2", runc: "1.1.7", cniPlugins: "1.3.0", nerdctl: "2.1.3", buildkit: "0.12.0", tini: "0.19.0" });
        assert.match(g.key, /_cni-1\.3\.0_nerdctl-2\.1\.3-unpatched_tini-0\.19\.0_buildkit-0\.12\.0_/);
    });

    it("names no BuildKit where it is left out", async () => {
        const g = await graph({ buildkit: false });
        assert.strictEqual(g.env.BUILDKIT_VERSION, undefined);
        assert.deepStrictEqual(g.versions, { containerd: "1.7.2", runc: "1.1.7", cniPlugins: "1.3.0", nerdctl: "1.5.0", tini: "0.19.0" });
    });
});
