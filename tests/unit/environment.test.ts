// The resource graph under Pulumi mocks: one child per step, per-stack names,
// mounts, privileges, ports and outputs. No engine, no Docker.
import * as assert from "assert";
import * as path from "path";
import { find, PROJECT_ROOT, promiseOf, pulumiYamlDefaults, recorded, useMocks } from "./mocks";

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
    const [c] = find("docker:index/container:Container");
    return c.inputs;
}

describe("environment graph", () => {
    it("has one component per step and the resources under them", async () => {
        await build("dev");
        const types = recorded.map((r) => r.type).sort();
        assert.deepStrictEqual(types, [
            "command:local:Command", "command:local:Command", "command:local:Command", "command:local:Command",
            "docker:index/container:Container", "docker:index/image:Image",
            "nerdctl-dind:index:Bundle", "nerdctl-dind:index:NerdctlEnvironment", "nerdctl-dind:index:Prepare",
            "nerdctl-dind:index:Storage", "nerdctl-dind:index:Verify", "nerdctl-dind:index:Wrapper",
            "nerdctl-dind:index:WrapperImage",
        ]);
        for (const r of recorded.filter((r) => r.type !== "nerdctl-dind:index:NerdctlEnvironment")) {
            assert.ok(r.name.startsWith("env-dev-"), `${r.name} is not named after its component`);
        }
    });

    it("names the image, container and storage after the stack", async () => {
        for (const stack of ["dev-ann", "dev-bob"]) {
            const env = await build(stack);
            assert.strictEqual(container().name, `nerdctl-dind-${stack}`);
            assert.strictEqual(find("docker:index/image:Image")[0].inputs.imageName, `nerdctl-dind:${stack}`);
            assert.strictEqual(env.storageDir, path.join(PROJECT_ROOT, "lib", stack));
        }
    });

    it("builds from ./dockerfile with the base image and the bundle key", async () => {
        await build("dev", { baseImage: "nerdctl-dind/base:bookworm" });
        const build_ = find("docker:index/image:Image")[0].inputs.build as Inputs;
        const args = build_.args as Record<string, string>;
        assert.strictEqual(build_.dockerfile, path.join(PROJECT_ROOT, "dockerfile"));
        assert.strictEqual(args.BASE_IMAGE, "nerdctl-dind/base:bookworm");
        assert.match(args.BUNDLE, /^containerd-1\.7\.2_runc-1\.1\.7_cni-1\.3\.0_nerdctl-1\.5\.0-[0-9a-f]{12}$/);
    });

    it("runs the wrapper privileged with init, restart policy, tmpfs /run and the image's digest", async () => {
        await build("dev");
        const c = container();
        assert.strictEqual(c.privileged, true);
        assert.strictEqual(c.init, true);
        assert.strictEqual(c.restart, "unless-stopped");
        assert.strictEqual(c.cgroupnsMode, "private");
        assert.deepStrictEqual(c.tmpfs, { "/run": "rw,exec,mode=755" });
        assert.match(String(c.image), /^nerdctl-dind:dev@sha256:/);
    });

    it("drops privileged for listed capabilities when asked", async () => {
        await build("dev", { privileged: false });
        const c = container();
        assert.strictEqual(c.privileged, false);
        assert.ok(((c.capabilities as Inputs).adds as string[]).includes("SYS_ADMIN"));
    });

    it("bind-mounts the storage folder and the preload files", async () => {
        const tarball = path.join(PROJECT_ROOT, "package.json");
        await build("dev", { preload: [tarball] });
        const lib = path.join(PROJECT_ROOT, "lib", "dev");
        assert.deepStrictEqual(container().mounts, [
            { type: "bind", source: path.join(lib, "containerd"), target: "/var/lib/containerd", readOnly: false },
            { type: "bind", source: path.join(lib, "nerdctl"), target: "/var/lib/nerdctl", readOnly: false },
            { type: "bind", source: tarball, target: "/preload/package.json", readOnly: true },
        ]);
    });

    it("publishes the configured ports", async () => {
        await build("dev", { ports: ["8080:80", "0.0.0.0:5353:53/udp"] });
        assert.deepStrictEqual(container().ports, [
            { ip: "127.0.0.1", external: 8080, internal: 80, protocol: "tcp" },
            { ip: "0.0.0.0", external: 5353, internal: 53, protocol: "udp" },
        ]);
    });

    it("keeps the storage on destroy unless asked", async () => {
        await build("dev");
        const [folder] = find("command:local:Command", "env-dev-storage");
        assert.strictEqual((folder.inputs.environment as Inputs).DELETE_ON_DESTROY, "false");
        await build("dev", { destroyDeletesStorage: true });
        const [again] = find("command:local:Command", "env-dev-storage");
        assert.strictEqual((again.inputs.environment as Inputs).DELETE_ON_DESTROY, "true");
    });

    it("runs prepare and verify in the wrapper and re-runs them when the wrapper changes", async () => {
        await build("dev");
        const [prepare] = find("command:local:Command", "env-dev-prepare");
        const [verify] = find("command:local:Command", "env-dev-verify");
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
