// The suite's core on the hosts users have, not only on this machine's kernel
// (cgroup v1, legacy iptables available): a guest VM of tests/hosts/guest.sh
// with Debian's kernel, systemd and docker.io, reached as a remote engine
// over ssh, as a build server would be. It boots first as profile cgroup2
// (the unified hierarchy only), then the same disk boots as nft-only (that,
// and no legacy iptables tables): the host got a new kernel under a running
// stack. On each kernel a stack comes up and checks itself (verify runs an
// inner container), an inner published port answers through the wrapper,
// cgroup limits reach the inner cgroup, `docker restart` heals; the wrapper
// made on cgroup2 comes back on nft-only by itself and chooses nft, with its
// images, and its inner container with a restart policy running again (the
// one without stays stopped): the engine's host rebooted; on nft-only a new
// stack chooses nft; destroy keeps the storage on the guest.
// The nft-only stack keeps its storage in a 9p share of the host's, as Lima
// shares a user's folder: overlayfs refuses it, so the wrapper chooses the
// image layout, and all of the above holds for it too.
// Both stacks are on the offline Alpine base (the default where no registry
// answers; the Debian base is the rest of the suite's), so the second build
// is all cache, and booting the same disk twice saves a boot's worth of
// setup: under emulation every minute counts in CI.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ALPINE_BASE, BUSYBOX, BUSYBOX_TAR, env, PREFIX, requirePrerequisites, run, Stack, waitFor } from "./harness";

// Host ports of this file: 16900-16999 (ssh of the guest; NDIND_E2E_SSH_PORTS=FROM-TO
// gives a run sharing the machine its own), the first free one from a
// per-run offset, so that concurrent runs do not meet.
const SSH_PORTS = (process.env.NDIND_E2E_SSH_PORTS ?? "16900-16999").split("-").map(Number);
// Published on the guest's loopback only: the wrapper's ports of the two stacks.
const WEB_PORTS = { cgroup2: 18080, nftOnly: 18081 };
const PAGE = "answered-in-the-guest";
// Waits sized for emulation (TCG): `docker run` in the guest takes 5-8 s.
// Measured at a load of 2-3 on this machine: the 9p stack healthy 201 s
// after docker restart, and past 240 s with a second suite running beside;
// the restart-policy container running again later than 240 s after the
// reboot's wrapper was healthy (it ran when looked at 6 min after).
const GUEST_WAIT = 420;

/** Quotes one word for the guest's shell (ssh joins its arguments with spaces). */
const quote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;
const minutes = (since: number) => `${((Date.now() - since) / 60000).toFixed(1)} min`;

describe("guest host: cgroup2, then nft-only on the same disk (end to end)", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-hosts-"));
    const path0 = env.PATH;
    let port = 0;
    let engine = "";
    let started = 0;
    let a: Stack;
    let b: Stack;

    /** Boots PROFILE on DIR's disk; the port is kept across boots. */
    function boot(profile: string): void {
        const span = SSH_PORTS[1] - SSH_PORTS[0] + 1;
        for (let i = 0; ; i++) {
            const p = port || SSH_PORTS[0] + ((process.pid + i) % span);
            const r = run("sh", ["tests/hosts/guest.sh", "up", profile, String(p), dir]);
            for (const l of r.out.split("\n").filter((l) => /accelerator|ssh in|guest disk ready/.test(l))) console.log(`      ${l}`);
            if (r.code === 0) { port = p; engine = `ssh://root@127.0.0.1:${p}`; return; }
            if (port || !/host forwarding rule|already in use/.test(r.out) || i > 20) throw new Error(`the ${profile} guest did not boot:\n${r.out.slice(-4000)}`);
        }
    }

    /** A command in the guest, over the run's ssh. */
    const onGuest = (...args: string[]) =>
        run(path.join(dir, "bin", "ssh"), ["-p", String(port), "root@127.0.0.1", args.map(quote).join(" ")]);
    const inWrapper = (s: Stack, ...args: string[]) => onGuest("docker", "exec", s.container, ...args);
    const must = (r: ReturnType<typeof run>) => { assert.strictEqual(r.code, 0, r.out); return r.out; };

    /** A stack on the guest (Alpine base) with the streamed busybox and one published port. */
    const stack = (profile: string, webPort: number, more: Record<string, string> = {}) => new Stack(`${PREFIX}-hosts-${process.pid}-${profile}`,
        { baseImage: ALPINE_BASE, dockerHost: engine, preload: [BUSYBOX_TAR], ports: [`${webPort}:8080`], ...more });

    /** An inner httpd published on the wrapper's 8080, answering with PAGE on the guest's webPort. */
    async function serve(s: Stack, webPort: number): Promise<void> {
        inWrapper(s, "nerdctl", "rm", "-f", "web");
        must(inWrapper(s, "nerdctl", "run", "-d", "--name", "web", "-p", "8080:80", BUSYBOX,
            "sh", "-c", `echo ${PAGE} > /www/index.html && exec httpd -f -p 80 -h /www`));
        await waitFor(`the inner httpd through the wrapper at the guest's 127.0.0.1:${webPort}`, 60,
            () => onGuest("curl", "-fsS", "--max-time", "5", `http://127.0.0.1:${webPort}/`).out.includes(PAGE));
    }

    function kernelIs(profile: string): void {
        assert.strictEqual(must(onGuest("stat", "-fc", "%T", "/sys/fs/cgroup")).trim(), "cgroup2fs");
        assert.strictEqual(must(onGuest("docker", "info", "--format", "{{.CgroupVersion}}")).trim(), "2");
        must(onGuest("iptables-nft", "-t", "nat", "-L"));
        const legacy = onGuest("iptables-legacy", "-t", "nat", "-L");
        if (profile === "nft-only") {
            assert.notStrictEqual(legacy.code, 0, "the legacy nat table opens on nft-only");
            assert.match(legacy.out, /can't initialize iptables table `nat': Table does not exist/);
        } else {
            assert.strictEqual(legacy.code, 0, legacy.out);
        }
    }

    /** up on the guest; the outputs say containerd serves, verify ran a container, and which backend. */
    function upAndCheck(s: Stack, profile: string): string {
        const t0 = Date.now();
        s.up();
        const out = s.outputs();
        const backend = String(out.iptablesBackend);
        console.log(`      up on ${profile}: ${minutes(t0)}; iptables ${backend} (${inWrapper(s, "cat", "/run/nerdctl-dind/iptables-choice").out.trim()})`);
        assert.match(String(out.imageTable), /busybox\s+ndind/);
        assert.match(String(out.prepareReport), /preload summary: loaded=1 present=0/);
        assert.match(String(out.probe), new RegExp(`^ok: .*\\(iptables ${backend}\\)$`));
        assert.doesNotMatch(String(out.hostReport), /^FAIL/m);
        assert.strictEqual(must(inWrapper(s, "nerdctl", "run", "--rm", BUSYBOX, "echo", "ok")).trim(), "ok");
        return backend;
    }

    function cgroupLimits(s: Stack): void {
        must(inWrapper(s, "nerdctl", "run", "-d", "--name", "limited", "--memory", "64m", "--cpus", "0.5", "--pids-limit", "20",
            BUSYBOX, "sleep", "600"));
        try {
            const read = (file: string) => must(inWrapper(s, "nerdctl", "exec", "limited", "cat", `/sys/fs/cgroup/${file}`)).trim();
            assert.strictEqual(read("memory.max"), String(64 * 1024 * 1024));
            assert.strictEqual(read("cpu.max"), "50000 100000");
            assert.strictEqual(read("pids.max"), "20");
        } finally {
            inWrapper(s, "nerdctl", "rm", "-f", "limited");
        }
    }

    /** The wrapper's health check passes: containerd serves and this start's probe ran a container. */
    async function healthy(s: Stack, what: string): Promise<void> {
        const took = await waitFor(`${s.container} healthy ${what}`, GUEST_WAIT,
            () => onGuest("docker", "inspect", "-f", "{{.State.Health.Status}}", s.container).out.trim() === "healthy");
        console.log(`      ${s.name}: healthy ${took.toFixed(0)} s ${what}`);
    }

    async function restartHeals(s: Stack, webPort: number): Promise<void> {
        must(onGuest("docker", "restart", s.container));
        await healthy(s, "after docker restart");
        assert.match(must(inWrapper(s, "nerdctl", "images")), /busybox\s+ndind/);
        await serve(s, webPort);
    }

    function destroyKeepsStorage(s: Stack): void {
        const out = s.outputs();
        const folder = String(out.storageDir);
        const busybox = (out.imageList as { repository: string; id: string }[]).find((i) => i.repository === "busybox");
        assert.ok(busybox, JSON.stringify(out.imageList));
        const image = String(out.storageLayout).startsWith("image ");
        s.destroy();
        assert.notStrictEqual(onGuest("docker", "inspect", s.container).code, 0, "the wrapper still exists");
        assert.strictEqual(must(onGuest("cat", `${folder}/.nerdctl-dind-owner`)).trim(), `nerdctl-dind/${s.name}`);
        // The blob nerdctl's IMAGE ID names (the image's digest) is still in the content store:
        // in the image layout, inside the ext4 file (read with debugfs, not mounted).
        const blobs = "containerd/io.containerd.content.v1.content/blobs/sha256";
        must(onGuest("sh", "-c", image
            ? `debugfs -R 'ls -l /${blobs}' ${folder}/containerd/nerdctl-dind.ext4 2>/dev/null | grep -q ' ${busybox.id}'`
            : `ls ${folder}/${blobs} | grep -q ^${busybox.id}`));
    }

    before(() => {
        requirePrerequisites();
        started = Date.now();
        boot("cgroup2");
        // docker's ssh transport runs `ssh` from PATH: this one reads the run's key and known_hosts.
        env.PATH = `${path.join(dir, "bin")}:${path0}`;
        a = stack("cgroup2", WEB_PORTS.cgroup2);
    });
    after(() => {
        a?.remove();
        b?.remove();
        env.PATH = path0;
        // The guest, its disk and its forwarded port go with it.
        const down = run("sh", ["tests/hosts/guest.sh", "down", dir]);
        fs.rmSync(dir, { recursive: true, force: true });
        if (started) console.log(`      guest host tests: ${minutes(started)} from the first boot to down`);
        assert.strictEqual(down.code, 0, down.out);
    });

    describe("cgroup2", () => {
        it("the kernel: cgroup v2 only, both iptables backends open their nat table", () => kernelIs("cgroup2"));

        it("up: the wrapper is built on the guest and runs a container", () => {
            upAndCheck(a, "cgroup2");
            assert.match(must(inWrapper(a, "cat", "/etc/alpine-release")), /^3\.23\./);
        });

        it("an inner nerdctl run -d -p answers through the wrapper", () => serve(a, WEB_PORTS.cgroup2));

        it("cgroup limits of an inner container are in its cgroup files", () => cgroupLimits(a));

        it("docker restart of the wrapper: it heals by itself, images kept, the port answers again", () => restartHeals(a, WEB_PORTS.cgroup2));

        // Sleep and wake (issue 31): the wall clock jumps forward. A container
        // has the kernel's clock, so the jump is made where it harms nothing:
        // the guest's own kernel (never this machine's). The next boot takes
        // the clock from the emulated RTC again.
        it("a forward jump of the guest's clock (2 h, as a wake from sleep): containerd and buildkitd keep running, the health check keeps passing", async () => {
            const daemons = () => must(inWrapper(a, "sh", "-c", "echo containerd $(cat /run/nerdctl-dind/containerd.pid) buildkitd $(pidof buildkitd)")).trim();
            const before = daemons();
            const jumped = Number(must(onGuest("sh", "-c", "date -s @$(($(date +%s) + 7200)) >/dev/null && date +%s")).trim());
            type Check = { Start: string; ExitCode: number; Output: string };
            const after = () => (JSON.parse(must(onGuest("docker", "inspect", "-f", "{{json .State.Health.Log}}", a.container))) as Check[])
                .filter((c) => Date.parse(c.Start) / 1000 >= jumped);
            const took = await waitFor("three health checks after the jump", GUEST_WAIT, () => after().length >= 3);
            const checks = after();
            console.log(`      clock +2 h: ${checks.length} health checks within ${took.toFixed(0)} s after it, exit codes ${checks.map((c) => c.ExitCode).join(" ")}; ` +
                `${before} before, ${daemons()} after`);
            // Under emulation one check takes about its 3 s timeout (measured: a pass in 2.9 s,
            // the next two cut at 3 s), so a timeout is no finding; a failing check that ran is.
            assert.deepStrictEqual(checks.filter((c) => c.ExitCode !== 0 && !/exceeded timeout/.test(c.Output)), [], JSON.stringify(checks));
            assert.ok(checks.some((c) => c.ExitCode === 0), `no health check passed after the jump: ${JSON.stringify(checks)}`);
            assert.strictEqual(must(onGuest("docker", "inspect", "-f", "{{.State.Health.Status}}", a.container)).trim(), "healthy");
            assert.strictEqual(daemons(), before, "a daemon of the wrapper was started again after the jump");
            assert.strictEqual(must(inWrapper(a, "nerdctl", "run", "--rm", BUSYBOX, "echo", "ok")).trim(), "ok");
        });
    });

    describe("nft-only: the same disk on a kernel without legacy iptables", () => {
        // The engine's host reboots (issue 31): an inner container with a
        // restart policy, and one without, are running when the guest stops.
        let keepId = "";
        before(() => {
            // Seen once under emulation, a minute after the clock case's jump: runc found
            // keep's init already gone at start ("cannot start a container that has
            // stopped"). Not understood: printed, and made again once, so the reboot is tested.
            const keep = () => inWrapper(a, "nerdctl", "run", "-d", "--restart", "always", "--name", "keep", BUSYBOX, "sleep", "86400");
            const first = keep();
            if (first.code !== 0) {
                console.log(`      keep did not start (made again): ${first.out.trim()}`);
                inWrapper(a, "nerdctl", "rm", "-f", "keep");
                must(keep());
            }
            keepId = must(inWrapper(a, "nerdctl", "inspect", "-f", "{{.ID}}", "keep")).trim();
            must(run("sh", ["tests/hosts/guest.sh", "stop", dir]));
            boot("nft-only");
        });

        it("the kernel: cgroup v2 only, the legacy nat table does not exist, nft's opens", () => kernelIs("nft-only"));

        it("the wrapper made on cgroup2 came back by itself after the reboot, chose nft, its restart-policy container runs, its images are kept, its port answers", async () => {
            await healthy(a, "after the reboot into nft-only");
            assert.strictEqual(must(inWrapper(a, "cat", "/run/nerdctl-dind/iptables-backend")).trim(), "nft");
            const back = await waitFor("keep (--restart always) running again after the reboot", GUEST_WAIT,
                () => inWrapper(a, "nerdctl", "inspect", "-f", "{{.ID}} {{.State.Running}}", "keep").out.trim() === `${keepId} true`);
            console.log(`      keep (--restart always) running again ${back.toFixed(0)} s after the wrapper was healthy`);
            assert.strictEqual(must(inWrapper(a, "nerdctl", "inspect", "-f", "{{.State.Running}}", "web")).trim(), "false", "web has no restart policy");
            assert.match(must(inWrapper(a, "nerdctl", "images")), /busybox\s+ndind/);
            await serve(a, WEB_PORTS.cgroup2);
        });

        it("up of a new stack with its storage in a 9p share: nft and the image layout chosen, a container runs", () => {
            must(onGuest("sh", "-c", "mkdir -p /mnt/share && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 ndind-share /mnt/share"));
            b = stack("nft-only", WEB_PORTS.nftOnly, { storageDir: `/mnt/share/hosts-${process.pid}-nft-only` });
            assert.strictEqual(upAndCheck(b, "nft-only"), "nft");
            const layout = String(b.outputs().storageLayout);
            console.log(`      storage in the 9p share: ${layout}`);
            assert.match(layout, /^image \(overlayfs cannot use 9p as its upper dir: .+\); used \d+ of \d+ MiB inside/);
            // The file is on the host, in the shared folder.
            assert.ok(fs.statSync(path.join(dir, "share", `hosts-${process.pid}-nft-only`, "containerd", "nerdctl-dind.ext4")).isFile());
        });

        it("an inner nerdctl run -d -p answers through the wrapper", () => serve(b, WEB_PORTS.nftOnly));

        it("cgroup limits of an inner container are in its cgroup files", () => cgroupLimits(b));

        it("docker restart of the wrapper: it heals by itself, nft again, images kept, the port answers", async () => {
            await restartHeals(b, WEB_PORTS.nftOnly);
            assert.strictEqual(must(inWrapper(b, "cat", "/run/nerdctl-dind/iptables-backend")).trim(), "nft");
        });

        it("destroy of either stack: the wrapper goes, the storage stays on the guest with the images", () => {
            destroyKeepsStorage(a);
            destroyKeepsStorage(b);
        });
    });
});
