// The resource graph under Pulumi mocks: one child per step, per-stack names,
// mounts, privileges, ports and outputs. No engine, no Docker.
import * as assert from "assert";
import * as path from "path";
import { COMMAND, CONTAINER, find, IMAGE, PROJECT_ROOT, promiseOf, pulumiYamlDefaults, recorded, useMocks } from "./mocks";

useMocks();
import { parseSettings, RawSettings } from "../../components/config";
import { NerdctlEnvironment } from "../../components/environment";

type Inputs = Record<string, unknown>;

async function build(stack: string, overrides: RawSettings = {}): Promise<NerdctlEnvironment> {
    recorded.length = 0;
    const s = parseSettings({ ...pulumiYamlDefaults(), ...overrides }, "nerdctl-dind", stack, PROJECT_ROOT);
    const env = new NerdctlEnvironment(`env-${stack}`, s);
    await promiseOf(env.images);
    return env;
}

function container(): Inputs {
    const [c] = find(CONTAINER);
    return c.inputs;
}

/** Every value given to a `docker run` flag, in order. */
function values(flag: string): string[] {
    const options = container().options as string[];
    return options.flatMap((o, i) => (o === flag ? [options[i + 1]] : []));
}

describe("environment graph", () => {
    it("has one component per step and the resources under them", async () => {
        await build("dev");
        const types = recorded.map((r) => r.type).sort();
        assert.deepStrictEqual(types, [
            "nerdctl-dind:index:Bundle", "nerdctl-dind:index:HostReport", "nerdctl-dind:index:NerdctlEnvironment", "nerdctl-dind:index:Prepare",
            "nerdctl-dind:index:Storage", "nerdctl-dind:index:Verify", "nerdctl-dind:index:Wrapper",
            "nerdctl-dind:index:WrapperImage",
            COMMAND, COMMAND, COMMAND, COMMAND, COMMAND, CONTAINER, IMAGE,
        ].sort());
        for (const r of recorded.filter((r) => r.type !== "nerdctl-dind:index:NerdctlEnvironment")) {
            assert.ok(r.name.startsWith("env-dev-"), `${r.name} is not named after its component`);
        }
    });

    it("names the image, container and storage after the stack", async () => {
        for (const stack of ["dev-ann", "dev-bob"]) {
            const env = await build(stack);
            assert.strictEqual(container().name, `nerdctl-dind-${stack}`);
            assert.strictEqual(find(IMAGE)[0].inputs.name, `nerdctl-dind:${stack}`);
            assert.strictEqual(env.storageDir, path.join(PROJECT_ROOT, "lib", stack));
        }
    });

    it("builds from ./dockerfile with the base image and the bundle key", async () => {
        await build("dev", { baseImage: "nerdctl-dind/base:bookworm" });
        const image = find(IMAGE)[0].inputs;
        const args = image.buildArgs as Record<string, string>;
        assert.strictEqual(image.dockerfile, "dockerfile");
        assert.deepStrictEqual(image.contextPaths, ["dockerfile", "scripts", `nerdctl/out/${args.BUNDLE}`]);
        assert.match(String(image.contentHash), /^[0-9a-f]{64}$/);
        assert.strictEqual(args.BASE_IMAGE, "nerdctl-dind/base:bookworm");
        assert.match(args.BUNDLE, /^containerd-1\.7\.2_runc-1\.1\.7_cni-1\.3\.0_nerdctl-1\.5\.0-[0-9a-f]{12}$/);
    });

    it("builds nerdctl unpatched when asked, under a key of its own", async () => {
        await build("dev", { nerdctlPatches: false });
        const args = find(IMAGE)[0].inputs.buildArgs as Record<string, string>;
        assert.match(args.BUNDLE, /_nerdctl-1\.5\.0-unpatched$/);
        const [bundle] = find(COMMAND, "env-dev-bundle");
        assert.strictEqual((bundle.inputs.environment as Inputs).NERDCTL_PATCHES, "none");
    });

    it("runs the wrapper privileged with init, restart policy, private cgroupns, tmpfs /run, from the built image", async () => {
        await build("dev");
        const c = container();
        const options = c.options as string[];
        for (const flag of ["--privileged", "--init"]) assert.ok(options.includes(flag), flag);
        assert.deepStrictEqual(values("--restart"), ["unless-stopped"]);
        assert.deepStrictEqual(values("--cgroupns"), ["private"]);
        assert.deepStrictEqual(values("--tmpfs"), ["/run:rw,exec,mode=755"]);
        assert.deepStrictEqual(values("--health-cmd"), ["/scripts/healthcheck.sh"]);
        assert.strictEqual(c.image, `sha256:${"ab".repeat(32)}`);
    });

    it("adds listed capabilities instead of --privileged when asked", async () => {
        await build("dev", { privileged: false });
        assert.ok(!(container().options as string[]).includes("--privileged"));
        assert.deepStrictEqual(values("--cap-add"), ["SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE"]);
    });

    it("bind-mounts the storage folder and the preload files", async () => {
        const tarball = path.join(PROJECT_ROOT, "package.json");
        await build("dev", { preload: [tarball] });
        const lib = path.join(PROJECT_ROOT, "lib", "dev");
        assert.deepStrictEqual(values("--mount"), [
            `type=bind,source=${path.join(lib, "containerd")},target=/var/lib/containerd`,
            `type=bind,source=${path.join(lib, "nerdctl")},target=/var/lib/nerdctl`,
            `type=bind,source=${tarball},target=/preload/package.json,readonly`,
        ]);
    });

    it("publishes the configured ports", async () => {
        await build("dev", { ports: ["8080:80", "0.0.0.0:5353:53/udp", "[::1]:8443:443"] });
        assert.deepStrictEqual(values("--publish"), ["127.0.0.1:8080:80/tcp", "0.0.0.0:5353:53/udp", "[::1]:8443:443/tcp"]);
    });

    it("keeps the storage on destroy unless asked", async () => {
        await build("dev");
        const [folder] = find(COMMAND, "env-dev-storage");
        assert.strictEqual((folder.inputs.environment as Inputs).DELETE_ON_DESTROY, "false");
        await build("dev", { destroyDeletesStorage: true });
        const [again] = find(COMMAND, "env-dev-storage");
        assert.strictEqual((again.inputs.environment as Inputs).DELETE_ON_DESTROY, "true");
    });

    it("runs prepare and verify in the wrapper and re-runs them when the wrapper changes", async () => {
        await build("dev");
        const [prepare] = find(COMMAND, "env-dev-prepare");
        const [verify] = find(COMMAND, "env-dev-verify");
        assert.strictEqual(prepare.inputs.create, "docker exec nerdctl-dind-dev /scripts/prepare.sh");
        assert.strictEqual(verify.inputs.create, "docker exec nerdctl-dind-dev /scripts/verify.sh");
        assert.deepStrictEqual(prepare.inputs.triggers, ["env-dev-wrapper-container-id"]);
        assert.strictEqual((verify.inputs.triggers as unknown[])[0], "env-dev-wrapper-container-id");
    });

    it("turns verify's output into the image listing", async () => {
        const env = await build("dev");
        assert.match(await promiseOf(env.imagesText), /^REPOSITORY +TAG/);
        assert.deepStrictEqual(await promiseOf(env.images), [
            { repository: "busybox", tag: "ndind", id: "0123456789ab", size: "2.0 MiB" },
        ]);
    });
});
