// The resource graph of a stack on a remote engine, under Pulumi mocks: every
// step goes through that engine, nothing reads or writes this machine's
// folders for it. No engine, no ssh.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { find, NO_CONTEXTS, PROJECT_ROOT, promiseOf, stackDefaults, recorded, TYPES, unsecret, useMocks } from "./mocks";

useMocks();
import { parseSettings } from "../../components/settings/validate";
import { NerdctlEnvironment } from "../../components/environment";
import { PLUGIN_SETS } from "../../components/plugins/kinds";
import { Arch } from "../../components/engine";

const HOST = "ssh://root@127.0.0.1:16022";
const TARBALL = `${PROJECT_ROOT}/package.json`;

for (const kind of PLUGIN_SETS) {
    const { image: IMAGE, container: CONTAINER, command: COMMAND } = TYPES[kind];

    /** On an engine that runs on ARCH, as the preflight's probe would have said. */
    async function buildRemote(baseImage?: string, arch: Arch = "amd64"): Promise<NerdctlEnvironment> {
        recorded.length = 0;
        const raw = { ...stackDefaults(kind), dockerHost: HOST, preload: [TARBALL], ...(baseImage ? { baseImage } : {}) };
        const parsed = parseSettings(raw, "nerdctl-dind", "dev", PROJECT_ROOT, NO_CONTEXTS);
        const s = { ...parsed, engine: { ...parsed.engine, arch } };
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

        it("on an engine of another architecture, copies a base of that one, or makes an offline one for it", async () => {
            // The step's own script, run against a scripted docker: each engine
            // holds the base for one architecture; base-image.sh records its call.
            await buildRemote("nerdctl-dind/base:alpine-3.23", "arm64");
            const step = command("image-base");
            assert.strictEqual(step.dir, PROJECT_ROOT);
            assert.ok((step.triggers as unknown[]).includes("arm64"), "the architecture is a trigger");
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-base-step-"));
            fs.mkdirSync(path.join(dir, "bin"));
            fs.mkdirSync(path.join(dir, "toolchain"));
            fs.writeFileSync(path.join(dir, "toolchain", "base-image.sh"), `echo "base-image.sh $*" >>${dir}/log
`);
            // DOCKER_HOST set: the remote engine (REMOTE_ARCH); unset: this machine's (HERE_ARCH).
            fs.writeFileSync(path.join(dir, "bin", "docker"), `#!/bin/sh
a=\${HERE_ARCH:-}; [ -z "\${DOCKER_HOST:-}" ] || a=\${REMOTE_ARCH:-}
case "$1 $2" in
"image inspect") [ -n "$a" ] && echo "$a" ;;
*) echo "docker $* (\${DOCKER_HOST:-here})" >>${dir}/log ;;
esac
`, { mode: 0o755 });
            const run = (here: string, remote: string) => {
                fs.rmSync(path.join(dir, "log"), { force: true });
                const env = { ...process.env, ...unsecret(step.environment), PATH: `${dir}/bin:${process.env.PATH}`, HERE_ARCH: here, REMOTE_ARCH: remote };
                const out = execFileSync("sh", ["-c", String(step.create)], { cwd: dir, env, encoding: "utf8" });
                return [out.trim(), fs.existsSync(path.join(dir, "log")) ? fs.readFileSync(path.join(dir, "log"), "utf8").trim().split("\n").sort().join("\n") : ""];
            };
            try {
                assert.deepStrictEqual(run("amd64", "arm64"), [`base image nerdctl-dind/base:alpine-3.23: present on ${HOST} (linux/arm64)`, ""]);
                assert.deepStrictEqual(run("arm64", "amd64"), [`base image nerdctl-dind/base:alpine-3.23: copying from this machine's engine to ${HOST}`,
                `docker load -q (${HOST})\ndocker save nerdctl-dind/base:alpine-3.23 (here)`]);
                assert.deepStrictEqual(run("amd64", ""), [`base image nerdctl-dind/base:alpine-3.23: making it for linux/arm64 here, for ${HOST}`,
                    "base-image.sh --base nerdctl-dind/base:alpine-3.23 --arch arm64"]);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });
}
