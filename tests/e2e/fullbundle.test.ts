// The full bundle (issue 11): tini behind `nerdctl run --init`, BuildKit
// behind `nerdctl build` (its cache kept across destroy/up), and compose.
import * as assert from "assert";
import { ALPINE_BASE, BUSYBOX, BUSYBOX_TAR, requirePrerequisites, Run, Stack } from "./harness";

const id = process.pid.toString(36);
const BUILT = `ndind-e2e-built-${id}`;
const DOCKERFILE = [
    `FROM ${BUSYBOX}`,
    "RUN echo built-by-buildkit > /message",
    'CMD ["cat", "/message"]',
    "",
].join("\n");
const COMPOSE = [
    "services:",
    "  web:",
    `    image: ${BUSYBOX}`,
    `    command: ["sh", "-c", "mkdir -p /www && echo compose-web-${id} > /www/index.html && exec httpd -f -p 80 -h /www"]`,
    "  client:",
    `    image: ${BUSYBOX}`,
    '    command: ["sleep", "3600"]',
    "",
].join("\n");

function ok(r: Run, what: string): string {
    assert.strictEqual(r.code, 0, `${what}:\n${r.out}`);
    return r.out;
}

describe("full bundle: tini, BuildKit, compose (end to end)", function () {
    let s: Stack;
    const inWrapper = (script: string, input?: string): Run =>
        input === undefined ? s.exec("sh", "-c", script) : s.execInput(input, "sh", "-c", script);

    before(() => {
        requirePrerequisites();
        s = new Stack(`e2e-${id}-fb`, { baseImage: ALPINE_BASE, preload: [BUSYBOX_TAR] });
        s.up();
    });
    after(() => s?.remove());

    it("nerdctl run --init runs tini as the container's pid 1", () => {
        assert.strictEqual(ok(s.exec("nerdctl", "run", "--rm", "--init", BUSYBOX, "cat", "/proc/1/comm"), "run --init").trim(), "tini");
        // Without it, the command itself is pid 1: the check above can fail.
        assert.strictEqual(ok(s.exec("nerdctl", "run", "--rm", BUSYBOX, "cat", "/proc/1/comm"), "run").trim(), "cat");
    });

    // The context lives in the wrapper's own filesystem, gone with the wrapper.
    const writeContext = () => ok(inWrapper("mkdir -p /tmp/ctx && cat > /tmp/ctx/Dockerfile", DOCKERFILE), "writing the Dockerfile");

    it("nerdctl build -t builds from a Dockerfile on the preloaded base, and nerdctl run runs the result", () => {
        writeContext();
        ok(s.exec("nerdctl", "build", "-t", BUILT, "/tmp/ctx"), "nerdctl build");
        assert.strictEqual(ok(s.exec("nerdctl", "run", "--rm", BUILT), "nerdctl run").trim(), "built-by-buildkit");
    });

    it("the build cache lives in the storage folder: after destroy and up the same build is cached", () => {
        s.destroy();
        s.up();
        writeContext();
        const out = ok(s.exec("nerdctl", "build", "--progress", "plain", "-t", BUILT, "/tmp/ctx"), "nerdctl build again");
        assert.match(out, /RUN echo built-by-buildkit > \/message\n#\d+ CACHED/, out);
    });

    it("nerdctl compose up -d starts two services that reach each other by name; compose down removes them", () => {
        ok(inWrapper("mkdir -p /tmp/compose && cat > /tmp/compose/compose.yaml", COMPOSE), "writing the compose file");
        ok(inWrapper("cd /tmp/compose && nerdctl compose up -d"), "compose up");
        try {
            const ps = ok(inWrapper("cd /tmp/compose && nerdctl compose ps"), "compose ps");
            assert.match(ps, /web/, ps);
            assert.match(ps, /client/, ps);
            // httpd may still be starting: a bounded retry inside the wrapper.
            const page = ok(inWrapper("cd /tmp/compose && for i in $(seq 50); do " +
                "nerdctl compose exec --interactive=false --tty=false client wget -qO- http://web/ && exit 0; sleep 0.2; done; exit 1"), "client -> web");
            assert.match(page, new RegExp(`compose-web-${id}`));
        } finally {
            ok(inWrapper("cd /tmp/compose && nerdctl compose down"), "compose down");
        }
        const left = ok(s.exec("nerdctl", "ps", "-a", "--format", "{{.Names}}"), "ps -a");
        assert.doesNotMatch(left, /compose/, left);
    });
});
