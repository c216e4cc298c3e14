// make status's reading (tools/status-model.ts): the state's summary, and the
// wrapper's state against it: running, stopped, unhealthy, missing, drifted.
import * as assert from "assert";
import { formatStatus, forwardsText, humanSize, innerText, Inspect, spaceText, summarizeState, versionsText, wrapperState } from "../../tools/status-model";

// A `pulumi stack export` of an ndind stack, cut to what status reads.
const EXPORT = {
    deployment: {
        resources: [
            { type: "pulumi:pulumi:Stack", outputs: { containerName: "nerdctl-dind-dev", imageId: "sha256:aaaa1111", ports: ["127.0.0.1:8080->8080/tcp"], versions: { containerd: "1.7.2", runc: "1.1.7", cniPlugins: "1.3.0", nerdctl: "1.5.0" } } },
            { type: "pulumi:providers:ndind", id: "p" },
            { type: "ndind:index:Image", id: "sha256:aaaa1111", inputs: { buildArgs: { BASE_IMAGE: "nerdctl-dind/base:alpine-3.23", BUNDLE: "x" } } },
            { type: "ndind:index:Container", id: "cccc2222" },
        ],
    },
};

function inspect(over: Partial<Inspect> = {}, state: Partial<Inspect["State"]> = {}): Inspect {
    return {
        Id: "cccc2222", Image: "sha256:aaaa1111",
        State: { Status: "running", ExitCode: 0, Health: { Status: "healthy" }, ...state },
        NetworkSettings: { Ports: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }] } },
        ...over,
    };
}

describe("make status", () => {
    const s = summarizeState(EXPORT);

    it("reads plugins, base image, container and image IDs from the state", () => {
        assert.deepStrictEqual({ ...s, outputs: undefined }, {
            outputs: undefined, plugins: "ndind", baseImage: "nerdctl-dind/base:alpine-3.23", containerId: "cccc2222", imageId: "sha256:aaaa1111",
        });
        assert.strictEqual(summarizeState({ deployment: { resources: [{ type: "docker:index/container:Container", id: "x" }] } }).plugins, "pulumi");
        assert.strictEqual(summarizeState({}).plugins, "-");
        assert.strictEqual(versionsText(s.outputs.versions), "containerd 1.7.2, runc 1.1.7, CNI plugins 1.3.0, nerdctl 1.5.0");
        // Stacks up since the versions that follow the release also name BuildKit and tini.
        assert.strictEqual(versionsText({ ...(s.outputs.versions as object), buildkit: "0.23.2", tini: "0.19.0" }),
            "containerd 1.7.2, runc 1.1.7, CNI plugins 1.3.0, nerdctl 1.5.0, BuildKit 0.23.2, tini 0.19.0");
    });

    it("running and healthy, as the state has it", () => {
        assert.strictEqual(wrapperState(s, "nerdctl-dind-dev", "dev", inspect()), "running, healthy");
    });

    it("stopped, unhealthy (with the health check's reason), missing", () => {
        // Docker lists no ports for a stopped container: that is no drift.
        assert.match(wrapperState(s, "nerdctl-dind-dev", "dev", inspect({ NetworkSettings: { Ports: {} } }, { Status: "exited", ExitCode: 137 })),
            /^stopped \(exit 137; docker start nerdctl-dind-dev/);
        assert.strictEqual(wrapperState(s, "nerdctl-dind-dev", "dev",
            inspect({}, { Health: { Status: "unhealthy", Log: [{ Output: "containerd is not serving\n" }] } })), "unhealthy: containerd is not serving");
        assert.match(wrapperState(s, "nerdctl-dind-dev", "dev", undefined), /^missing: the state has nerdctl-dind-dev, the engine does not/);
    });

    it("drifted: another image, another container, other ports", () => {
        assert.match(wrapperState(s, "n", "dev", inspect({ Image: "sha256:bbbb3333" })), /drifted from the state: image bbbb3333, the state's is aaaa1111/);
        assert.match(wrapperState(s, "n", "dev", inspect({ Id: "dddd4444" })), /another container under its name \(dddd4444; the state's: cccc2222\)/);
        assert.match(wrapperState(s, "n", "dev", inspect({ NetworkSettings: { Ports: {} } })), /ports none, the state's: 127\.0\.0\.1:8080->8080\/tcp/);
    });

    it("a stack never brought up, and a container the state does not know", () => {
        const empty = summarizeState({});
        assert.strictEqual(wrapperState(empty, "n", "dev", undefined), "not up");
        assert.match(wrapperState(empty, "n", "dev", inspect()), /^not in the state, but a container n runs on the engine/);
    });

    it("sizes and the empty list", () => {
        assert.strictEqual(humanSize(512), "512 KiB");
        assert.strictEqual(humanSize(8500), "8.3 MiB");
        assert.strictEqual(humanSize(3 * 1024 * 1024), "3.0 GiB");
        assert.match(formatStatus([]), /^no stack/);
    });

    it("names the forwards, each failed one with its reason, and each not forwarded with why", () => {
        const text = forwardsText({
            running: true, connected: true, transport: "direct to the wrapper's address", forwards: [
                { listen: "127.0.0.1:9000", container: "web" },
                { listen: "127.0.0.1:9001", container: "db", error: "listen tcp 127.0.0.1:9001: bind: address already in use" },
                { listen: "127.0.0.1:8080", container: "fixed", note: "published by the stack's ports setting at 127.0.0.1:8080" },
                { listen: "127.0.0.1:9053", container: "dns", note: "udp is not forwarded (tcp only)" },
            ],
        }, "dev");
        assert.strictEqual(text, "1 forwarded (127.0.0.1:9000 web); 1 FAILED: 127.0.0.1:9001 db: listen tcp 127.0.0.1:9001: bind: address already in use; " +
            "2 not forwarded: 127.0.0.1:8080 fixed: published by the stack's ports setting at 127.0.0.1:8080; 127.0.0.1:9053 dns: udp is not forwarded (tcp only); " +
            "direct to the wrapper's address");
        assert.strictEqual(forwardsText({ running: false }, "dev"), "forwarder not running (make up STACK=dev starts it)");
        assert.strictEqual(forwardsText({ running: true, connected: false, error: "not running" }, "dev"), "forwarder not connected to the wrapper: not running");
    });

    it("says the storage's free share, and warns with the way out below storageMinFree", () => {
        assert.strictEqual(spaceText(0, "61% free (88 of 144 MiB)\n", "dev"), "61% free (88 of 144 MiB)");
        assert.strictEqual(spaceText(3, "0% free (0 of 144 MiB): below storageMinFree (10%)\n", "dev"),
            "WARN 0% free (0 of 144 MiB): below storageMinFree (10%): make prune STACK=dev gives back what builds left; nerdctl rmi what you no longer need");
        assert.strictEqual(spaceText(126, "OCI runtime exec failed: exec: \"/scripts/space.sh\": stat /scripts/space.sh: no such file or directory", "dev"),
            "unknown (an older wrapper image: make up)");
    });

    it("names the inner containers that do not run, first those a restart policy should have brought back", () => {
        const policy = (status: string) => ({ "containerd.io/restart.policy": "always", "containerd.io/restart.status": status });
        assert.strictEqual(innerText([
            { Names: ["web"], Status: "Up", Labels: policy("running") },
            { Names: ["once"], Status: "Created", Labels: {} },
            { Names: ["held"], Status: "Exited (137) 2 minutes ago", Labels: policy("stopped") },
            { Names: ["keeper"], Status: "Exited (1) 5 seconds ago", Labels: policy("running") },
        ]), "1 running; 3 not running, 1 of them despite a restart policy: keeper (restart always, yet Exited (1) 5 seconds ago: nerdctl logs keeper), " +
        "once (no restart policy: nerdctl start once), held (restart always, stopped by nerdctl stop)");
        assert.strictEqual(innerText([{ Names: "web", Status: "Up" }]), "1 running");
        assert.strictEqual(innerText([]), "0 running");
    });
});
