// The storage folder in a shared folder, as Docker Desktop, Lima or WSL show
// a user's checkout to their engine: here a FUSE filesystem (bindfs) over a
// local folder, which overlayfs refuses as its upper dir. Made as the README
// says: make stack, pulumi config set storageDir, make up; the wrapper picks
// the image layout by itself.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BUSYBOX, must, removeMadeStack, requirePrerequisites, ROOT, run, waitFor } from "./harness";

const name = `e2e-${process.pid.toString(36)}-fuse`;
const container = `nerdctl-dind-${name}`;
const top = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-share-"));
const backing = path.join(top, "disk");
const share = path.join(top, "share");
const storage = path.join(share, "lib", name);
const imageFile = path.join(storage, "containerd", "nerdctl-dind.ext4");
const bindfs = path.join(ROOT, "tests", "shared-folder", "bindfs.sh");

const make = (...args: string[]) => must("make", [...args, `STACK=${name}`]);
const inner = (...args: string[]) => run("docker", ["exec", container, "nerdctl", ...args]);
const output = (key: string) => must("pulumi", ["stack", "output", key, "--stack", name]).trim();

describe("storage in a shared folder (FUSE, end to end)", function () {
    before(() => {
        requirePrerequisites();
        must("sh", [bindfs, "mount", backing, share]);
        assert.strictEqual(must("stat", ["-f", "-c", "%t", share]).trim(), "65735546", `${share} is not on FUSE`);
        fs.mkdirSync(path.dirname(storage), { recursive: true });
        make("stack");
        must("pulumi", ["config", "set", "storageDir", storage, "--stack", name]);
    });
    after(() => {
        removeMadeStack(name, storage);
        run("sh", [bindfs, "umount", share]);
        fs.rmSync(top, { recursive: true, force: true });
    });

    it("make up: the wrapper keeps its images in an image file in the folder, says why, and runs a container", () => {
        make("up");
        const layout = output("storageLayout");
        assert.match(layout, /^image \(overlayfs cannot use fuse as its upper dir: .+\); used \d+ of \d+ MiB inside; the file takes \d+ MiB of the folder$/);
        assert.ok(fs.statSync(imageFile).isFile(), `no ${imageFile}`);
        // Sparse: the file takes far less of the folder than it can hold.
        const st = fs.statSync(imageFile);
        assert.ok(st.blocks * 512 < st.size / 8, `${imageFile} is not sparse: ${st.blocks * 512} of ${st.size} bytes`);
        assert.match(output("probe"), /^ok: /);
        assert.match(output("hostReport"), /OK\s+storage\s+.*storage layout image/);
        make("load", `IMAGE=${BUSYBOX}`);
        const r = inner("run", "--rm", BUSYBOX, "echo", "on fuse");
        assert.strictEqual(r.code, 0, r.out);
        assert.strictEqual(r.out.trim(), "on fuse");
    });

    it("make destroy keeps the image file; make up again: the image is there and runs", () => {
        make("destroy");
        assert.notStrictEqual(run("docker", ["inspect", container]).code, 0, `${container} is still there`);
        assert.ok(fs.existsSync(imageFile), `${imageFile} is gone`);
        make("up");
        assert.match(output("storageLayout"), /^image \(nerdctl-dind\.ext4 is there\)/);
        assert.match(output("imageTable"), /busybox\s+ndind/);
        const r = inner("run", "--rm", BUSYBOX, "echo", "kept");
        assert.strictEqual(r.code, 0, r.out);
    });

    it("docker restart heals: serving again, with its image, and no loop device left behind", async () => {
        // losetup names the file as the wrapper saw it: matched by its inode.
        const ino = fs.statSync(imageFile).ino;
        const loops = () => must("losetup", ["-a"]).split("\n").filter((l) => l.includes(`:${ino} (`)).length;
        assert.strictEqual(loops(), 1, must("losetup", ["-a"]));
        must("docker", ["restart", container]);
        await waitFor("the wrapper healthy after docker restart", 120,
            () => run("docker", ["inspect", "-f", "{{.State.Health.Status}}", container]).out.trim() === "healthy");
        const r = inner("run", "--rm", BUSYBOX, "echo", "healed");
        assert.strictEqual(r.code, 0, r.out);
        assert.strictEqual(loops(), 1, `the old loop device stayed attached: ${must("losetup", ["-a"])}`);
    });

    it("make trim says what it gave back, or why the folder cannot take it", () => {
        assert.strictEqual(inner("rmi", BUSYBOX).code, 0);
        const out = make("trim");
        // bindfs cannot punch holes (fallocate's keep-size mode); ext4 and xfs can.
        assert.match(out, /trim: (gave back \d+ MiB|not possible here: .+ \(the folder is on fuse, which cannot punch holes in a file\))/);
    });

    it("a change of layout is refused at preview, naming the setting, and changes nothing", () => {
        const id = must("docker", ["inspect", "-f", "{{.Id}}", container]).trim();
        must("pulumi", ["config", "set", "storageLayout", "folder", "--stack", name]);
        const r = run("make", ["preview", `STACK=${name}`]);
        must("pulumi", ["config", "rm", "storageLayout", "--stack", name]);
        assert.notStrictEqual(r.code, 0, r.out);
        assert.match(r.out, /storageLayout is "folder", but .*nerdctl-dind\.ext4 holds this stack's images \(layout image\)/);
        assert.strictEqual(must("docker", ["inspect", "-f", "{{.Id}}", container]).trim(), id);
    });
});
