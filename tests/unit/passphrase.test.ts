// The passphrase make gives Pulumi (the Makefile's choice) and
// toolchain/passphrase.sh: the per-user file it makes, and the cheap checks
// that leave a stack alone. The move itself runs against the real CLI in
// tests/e2e/secrets.test.ts; here a scripted `pulumi` records how it is asked.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

/** A salt as Pulumi writes it ("v1:SALT:v1:NONCE:SEALED"), for a passphrase. */
function saltFor(passphrase: string): string {
    const salt = crypto.randomBytes(8);
    const nonce = crypto.randomBytes(12);
    const key = crypto.pbkdf2Sync(passphrase, salt, 1000000, 32, "sha256");
    const c = crypto.createCipheriv("aes-256-gcm", key, nonce);
    const sealed = Buffer.concat([c.update("pulumi"), c.final(), c.getAuthTag()]);
    return `v1:${salt.toString("base64")}:v1:${nonce.toString("base64")}:${sealed.toString("base64")}`;
}

// Records each call with the passphrase variables and stdin it got; answers the move's three calls.
const FAKE_PULUMI = `#!/bin/sh
{ echo "pulumi $* P=\${PULUMI_CONFIG_PASSPHRASE-unset} F=\${PULUMI_CONFIG_PASSPHRASE_FILE-unset}"
  case "$*" in *change-secrets-provider*) echo "stdin=$(cat)" ;; esac; } >>"$FAKE/calls"
case "$*" in
*change-secrets-provider*) sed -i "s|^encryptionsalt: .*|encryptionsalt: $NEW_SALT|" "$STACK_FILE" ;;
*"config --show-secrets"* | *"stack export --show-secrets"*) ;;
*) echo "fake pulumi: unexpected $*" >&2; exit 2 ;;
esac
`;

describe("the passphrase make gives Pulumi", function () {
    this.timeout(30000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-passphrase-"));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** The Makefile's view: what a recipe gets in the two variables. */
    function makeSees(env: NodeJS.ProcessEnv): string {
        const base = { ...process.env };
        delete base.PULUMI_CONFIG_PASSPHRASE;
        delete base.PULUMI_CONFIG_PASSPHRASE_FILE;
        delete base.XDG_CONFIG_HOME;
        delete base.MAKEFLAGS;
        const r = spawnSync("make", ["-s", "--no-print-directory", "-f", "Makefile", "--eval",
            'passphrase-probe: ; @echo "$${PULUMI_CONFIG_PASSPHRASE-unset}|$${PULUMI_CONFIG_PASSPHRASE_FILE-unset}"', "passphrase-probe"],
            { cwd: ROOT, env: { ...base, ...env }, encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stderr);
        return r.stdout.trim();
    }

    it("none set: the per-user file under XDG_CONFIG_HOME, else ~/.config", () => {
        assert.strictEqual(makeSees({ XDG_CONFIG_HOME: "/x" }), "unset|/x/nerdctl-dind/passphrase");
        assert.strictEqual(makeSees({ HOME: "/home/ann" }), "unset|/home/ann/.config/nerdctl-dind/passphrase");
    });

    it("an empty PULUMI_CONFIG_PASSPHRASE counts as none (anyone can derive it)", () => {
        assert.strictEqual(makeSees({ XDG_CONFIG_HOME: "/x", PULUMI_CONFIG_PASSPHRASE: "" }), "unset|/x/nerdctl-dind/passphrase");
    });

    it("the user's own passphrase or passphrase file is used as it is", () => {
        assert.strictEqual(makeSees({ PULUMI_CONFIG_PASSPHRASE: "mine" }), "mine|unset");
        assert.strictEqual(makeSees({ PULUMI_CONFIG_PASSPHRASE_FILE: "/their/file" }), "unset|/their/file");
        assert.strictEqual(makeSees({ PULUMI_CONFIG_PASSPHRASE: "", PULUMI_CONFIG_PASSPHRASE_FILE: "/their/file" }), "unset|/their/file");
    });

    describe("toolchain/passphrase.sh", () => {
        const config = path.join(dir, "config");
        const file = path.join(config, "nerdctl-dind", "passphrase");
        const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: config, PULUMI_CONFIG_PASSPHRASE_FILE: file, FAKE: dir, PATH: `${dir}/bin:${process.env.PATH}` };
        delete env.PULUMI_CONFIG_PASSPHRASE;
        const sh = (e: NodeJS.ProcessEnv, ...args: string[]) => {
            const r = spawnSync("sh", [path.join(ROOT, "toolchain", "passphrase.sh"), ...args], { cwd: ROOT, env: e, encoding: "utf8" });
            return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
        };
        const stack = `e2e-unit-${process.pid}-pass`;
        const stackFile = path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`);
        const calls = () => (fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8") : "");

        before(() => {
            fs.mkdirSync(path.join(dir, "bin"));
            fs.writeFileSync(path.join(dir, "bin", "pulumi"), FAKE_PULUMI, { mode: 0o755 });
            fs.mkdirSync(path.dirname(stackFile), { recursive: true });
        });
        afterEach(() => fs.rmSync(path.join(dir, "calls"), { force: true }));
        after(() => ["", ".empty-passphrase"].forEach((x) => fs.rmSync(stackFile + x, { force: true })));

        it("makes the file: random, 64 hex digits, mode 0600 in a 0700 folder; says where and how to back it up, once", () => {
            const first = sh(env);
            assert.strictEqual(first.code, 0, first.out);
            assert.match(first.out, new RegExp(`secrets passphrase: made ${file.replace(/[.]/g, "\\.")} `));
            assert.match(first.out, /Back it up/);
            assert.match(fs.readFileSync(file, "utf8"), /^[0-9a-f]{64}\n$/);
            assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);
            assert.strictEqual(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
            const content = fs.readFileSync(file, "utf8");
            const again = sh(env);
            assert.strictEqual(again.code, 0, again.out);
            assert.doesNotMatch(again.out, /Back it up/);
            assert.strictEqual(fs.readFileSync(file, "utf8"), content, "the passphrase changed");
        });

        it("an empty passphrase file is refused, not used", () => {
            const empty = path.join(dir, "empty", "nerdctl-dind", "passphrase");
            fs.mkdirSync(path.dirname(empty), { recursive: true });
            fs.writeFileSync(empty, "");
            const r = sh({ ...env, XDG_CONFIG_HOME: path.join(dir, "empty"), PULUMI_CONFIG_PASSPHRASE_FILE: empty });
            assert.notStrictEqual(r.code, 0);
            assert.match(r.out, /passphrase is empty: remove it and run make toolchain for a new one/);
        });

        it("the user's own passphrase: no file made, no stack looked at", () => {
            const other = path.join(dir, "own");
            const r = sh({ ...env, XDG_CONFIG_HOME: other, PULUMI_CONFIG_PASSPHRASE: "mine" });
            assert.match(r.out, /secrets passphrase: yours/);
            assert.ok(!fs.existsSync(path.join(other, "nerdctl-dind")));
            fs.writeFileSync(stackFile, `encryptionsalt: ${saltFor("")}\n`);
            assert.strictEqual(sh({ ...env, PULUMI_CONFIG_PASSPHRASE: "mine" }, stack).code, 0);
            assert.strictEqual(calls(), "");
        });

        it("leaves alone a stack of another secrets provider, and one whose salt the empty passphrase does not open (then remembered)", () => {
            fs.writeFileSync(stackFile, "secretsprovider: awskms://alias/x\nencryptedkey: abc\n");
            assert.strictEqual(sh(env, stack).code, 0);
            const salt = saltFor("not empty");
            fs.writeFileSync(stackFile, `encryptionsalt: ${salt}\n`);
            assert.strictEqual(sh(env, stack).code, 0);
            assert.ok(fs.readFileSync(path.join(path.dirname(file), "salts-not-empty"), "utf8").split("\n").includes(salt));
            assert.strictEqual(calls(), "");
        });

        it("a stack under the empty passphrase: change-secrets-provider with the old one in PULUMI_CONFIG_PASSPHRASE, the new one on stdin", () => {
            fs.writeFileSync(stackFile, `config:\n  nerdctl-dind:x:\n    secure: v1:abc\nencryptionsalt: ${saltFor("")}\n`);
            const newSalt = saltFor(fs.readFileSync(file, "utf8").trim());
            const r = sh({ ...env, STACK_FILE: stackFile, NEW_SALT: newSalt }, stack);
            assert.strictEqual(r.code, 0, r.out);
            assert.match(r.out, /its secrets are under the empty passphrase make used before; moving them to/);
            assert.match(r.out, /secrets moved \(config and state\)/);
            const lines = calls().trim().split("\n");
            assert.strictEqual(lines[0], `pulumi --non-interactive --stack ${stack} stack change-secrets-provider passphrase P= F=${file}`);
            assert.strictEqual(lines[1], `stdin=${fs.readFileSync(file, "utf8").trim()}`);
            assert.match(lines[2], /config --show-secrets --json P=unset F=/);
            assert.match(lines[3], /stack export --show-secrets P=unset F=/);
            assert.ok(!fs.existsSync(`${stackFile}.empty-passphrase`), "the copy of the old stack file is left");
        });
    });
});
