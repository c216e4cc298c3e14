// A full disk (issue 31): the storage folder on a 160 MiB filesystem of the
// test's own, a build larger than the room left. make status and the host
// report warn, make prune gives back what the failed build left and says
// how much, and every stored blob still matches its digest.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BASE_IMAGE, BUSYBOX, BUSYBOX_TAR, must, PREFIX, requirePrerequisites, run, Stack } from "./harness";

const name = `${PREFIX}-${process.pid.toString(36)}-disk`;

describe("a full disk (end to end)", function () {
    let dir = "";
    let mnt = "";
    let s: Stack | undefined;

    before(function () {
        requirePrerequisites();
        for (const tool of ["mkfs.ext4", "losetup"]) {
            if (run("sh", ["-c", `command -v ${tool}`]).code !== 0) throw new Error(`${tool} is missing: the test makes a small ext4 filesystem (Debian: e2fsprogs, mount)`);
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-disk-"));
        mnt = path.join(dir, "mnt");
        fs.mkdirSync(mnt);
        must("truncate", ["-s", "160M", path.join(dir, "fs.img")]);
        must("mkfs.ext4", ["-q", path.join(dir, "fs.img")]);
        must("mount", ["-o", "loop", path.join(dir, "fs.img"), mnt]);
        s = new Stack(name, { baseImage: BASE_IMAGE, preload: [BUSYBOX_TAR], storageDir: path.join(mnt, "store") });
        s.up();
    });
    after(() => {
        s?.remove();
        if (mnt) run("umount", [mnt]);
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("a build larger than the room left: status and the host report warn, make prune gives it back, every blob matches its digest", () => {
        const w = s as Stack;
        const before = must("docker", ["exec", w.container, "nerdctl", "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]);
        // The RUN step fits and the export of its layer does not: what
        // BuildKit then keeps is what no nerdctl verb gave back before.
        const free = Number(must("docker", ["exec", w.container, "sh", "-c", "df -P -k /var/lib/containerd | awk 'NR == 2 { print $4 }'"]).trim()) * 1024;
        const big = free - 4 * 1024 * 1024;
        must("docker", ["exec", "-i", w.container, "sh", "-c", "mkdir -p /tmp/ctx && cat > /tmp/ctx/Dockerfile"],
            `FROM ${BUSYBOX}\nRUN head -c ${big} /dev/urandom > /big\n`);
        const build = w.exec("nerdctl", "build", "-t", "ndind-too-big:1", "/tmp/ctx");
        assert.notStrictEqual(build.code, 0, `the build fitted:\n${build.out}`);
        assert.match(build.out, /no space left on device/);
        console.log(`      build of ${(big / 1048576).toFixed(0)} MiB: ${build.out.trim().split("\n").pop()?.slice(0, 100)}...`);

        const status = must("make", ["-s", "status"]);
        const warned = new RegExp(`space     WARN \\d+% free \\(\\d+ of \\d+ MiB\\): below storageMinFree \\(10%\\): make prune STACK=${name}`);
        assert.match(status, warned, status);
        console.log(`      make status: ${status.split("\n").find((l) => /^ {2}space/.test(l))?.trim()}`);
        const report = w.exec("/scripts/doctor.sh", "/var/lib/containerd").out;
        assert.match(report, /WARN +storage space +\d+% free .*below storageMinFree \(10%\)\n +fix: make prune/, report);

        const pruned = must("make", ["-s", "prune", `STACK=${name}`]);
        console.log(pruned.trim().replace(/^/gm, "      "));
        const gave = Number(/prune: gave back (\d+) MiB/.exec(pruned)?.[1]);
        assert.ok(gave >= (big / 1048576) * 0.9, `prune gave back ${gave} MiB of a ${big} byte layer:\n${pruned}`);
        assert.match(pruned, /check: \d+ blob\(s\) read back: every one matches its digest; \d+ image\(s\), each complete/);

        assert.doesNotMatch(must("make", ["-s", "status"]), warned);
        assert.strictEqual(must("docker", ["exec", w.container, "nerdctl", "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]), before);
        assert.strictEqual(w.exec("nerdctl", "run", "--rm", BUSYBOX, "true").code, 0, "no container runs after the prune");
    });
});
