// The resource graph of a stack on a remote engine, under Pulumi mocks: every
// step goes through that engine, nothing reads or writes this machine's
// folders for it. No engine, no ssh.
import * as assert from "assert";
import { find, NO_CONTEXTS, PROJECT_ROOT, promiseOf, stackDefaults, recorded, TYPES, unsecret, useMocks } from "./mocks";

useMocks();
import { parseSettings } from "../../components/settings/validate";
import { NerdctlEnvironment } from "../../components/environment";
import { PLUGIN_SETS } from "../../components/plugins/kinds";

const HOST = "ssh://root@127.0.0.1:16022";
const TARBALL = `${PROJECT_ROOT}/package.json`;

for (const kind of PLUGIN_SETS) {
    const { image: IMAGE, container: CONTAINER, command: COMMAND } = TYPES[kind];

    async function buildRemote(baseImage?: string): Promise<NerdctlEnvironment> {
        recorded.length = 0;
        const raw = { ...stackDefaults(kind), dockerHost: HOST, preload: [TARBALL], ...(baseImage ? { baseImage } : {}) };
        const s = parseSettings(raw, "nerdctl-dind", "dev", PROJECT_ROOT, NO_CONTEXTS);
        const env = new NerdctlEnvironment("env-dev", s);
        await promiseOf(env.imageList);
        return env;
    }

    function command(name: string): Record<string, unknown> {
        const found = find(COMMAND, `env-dev-${name}`);
        assert.strictEqual(found.length, 1, `one ${name} command`);
        return found[0].inputs;
    }

    describe(`environment graph on a remote engine, provider ${kind}`, function () {
        this.timeout(20000);
        it("every docker call names the engine", async () => {
            await buildRemote();
            if (kind === "ndind") {
                assert.strictEqual(find(IMAGE)[0].inputs.dockerHost, HOST);
                assert.strictEqual(find(CONTAINER)[0].inputs.dockerHost, HOST);
            } else {
                // One explicit docker provider for the engine; ssh never waits for a prompt.
                const [engine] = find("pulumi:providers:docker");
                assert.deepStrictEqual(engine.inputs, { host: HOST, sshOpts: JSON.stringify(["-o", "BatchMode=yes"]) });
                for (const r of [...find(IMAGE), ...find(CONTAINER)]) assert.match(String(r.provider), /::docker-engine::/, r.name);
            }
            for (const r of find(COMMAND).filter((c) => !c.name.includes("bundle"))) {
                assert.strictEqual(unsecret(r.inputs.environment).DOCKER_HOST, HOST, r.name);
            }
        });

        it("the storage folder is made on that host by a container, under /var/lib/nerdctl-dind", async () => {
            const env = await buildRemote();
            assert.strictEqual(env.storageDir, "/var/lib/nerdctl-dind/dev");
            const folder = command("storage-folder");
            assert.match(String(folder.create), /^docker run --rm --entrypoint \/bin\/sh -v "\$PARENT:\/host"/);
            assert.match(String(folder.delete), /docker run --rm/);
            assert.deepStrictEqual({ ...(folder.environment as object), DOCKER_HOST: undefined }, {
                DIR: "/var/lib/nerdctl-dind/dev", OWNER: "nerdctl-dind/dev", DELETE_ON_DESTROY: "false",
                PARENT: "/var/lib/nerdctl-dind", NAME: "dev", IMAGE: "nerdctl-dind:dev", ENGINE_NAME: HOST, DOCKER_HOST: undefined,
            });
        });

        it("copies the base image there before the build, and streams preload tarballs instead of mounting them", async () => {
            await buildRemote();
            assert.match(String(command("image-base").create), /here save "\$BASE_IMAGE" \| docker load -q/);
            const mounts = find(CONTAINER)[0].inputs.mounts as { source: string }[];
            assert.ok(!mounts.some((m) => m.source === TARBALL), `a local path is mounted: ${JSON.stringify(mounts)}`);
            assert.strictEqual(command("prepare-run").create, `sh components/host/prepare-remote.sh nerdctl-dind-dev ${TARBALL}`);
        });

        it("copies whichever base the stack names, the offline Alpine one too", async () => {
            for (const base of ["nerdctl-dind/base:alpine-3.23", "nerdctl-dind/base:bookworm", "alpine:3.23"]) {
                await buildRemote(base);
                assert.strictEqual(unsecret(command("image-base").environment).BASE_IMAGE, base);
            }
        });
    });
}
