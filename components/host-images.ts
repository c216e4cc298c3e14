// The hostImages setting: after the wrapper is up, copies those images from
// the host's Docker engine into the stack's containerd (docker save | docker
// exec -i … nerdctl load, by toolchain/load-images.sh). A host command, since
// prepare runs inside the wrapper and cannot reach the host's engine. It runs
// again when the wrapper or one of the images changes.
import { execFileSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { engineCommand } from "./commands";
import { Engine, engineEnv } from "./engine";
import { SettingsError } from "./config";
import { Providers } from "./providers";
import { HostCommand } from "./providers/specs";

export interface HostImagesArgs {
    providers: Providers;
    projectRoot: string;
    container: string;
    images: string[];
    engine: Engine;
    wrapperId: pulumi.Input<string>;
    /** The setting's full name, for messages. */
    setting: string;
}

export class HostImages extends pulumi.ComponentResource {
    readonly run: HostCommand;
    readonly report: pulumi.Output<string>;

    constructor(name: string, args: HostImagesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:HostImages", name, {}, opts);
        const ids = hostImageIds(args.images, args.engine, args.setting);
        this.run = engineCommand(`${name}-load`, {
            providers: args.providers,
            create: ["sh", "toolchain/load-images.sh", args.container, ...args.images].map(quote).join(" "),
            dir: args.projectRoot,
            engine: args.engine.ref,
            triggers: [args.wrapperId, ...ids],
        }, { parent: this });
        this.report = this.run.stdout;
        this.registerOutputs({ report: this.report });
    }
}

/** Each image's ID on the host engine, read at preview so a missing one is refused then. */
export function hostImageIds(images: string[], engine: Engine, setting: string): string[] {
    const problems: string[] = [];
    const ids = images.map((image, i) => {
        try {
            return execFileSync("docker", ["image", "inspect", "-f", "{{.Id}}", image], {
                encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
                env: { ...process.env, ...engineEnv(engine.ref) },
            }).trim();
        } catch (e) {
            problems.push(`${setting}[${i}] is "${image}": ${inspectFailure(e, engine)}`);
            return "";
        }
    });
    if (problems.length > 0) throw new SettingsError(problems);
    return ids;
}

/** Why `docker image inspect` failed: only a missing image is the setting's fault. */
function inspectFailure(e: unknown, engine: Engine): string {
    const err = e as { code?: string; stderr?: string };
    if (err.code === "ENOENT") return "the docker CLI is not on the PATH; install it (make toolchain does)";
    const said = String(err.stderr ?? "").trim().split("\n").pop() ?? "";
    if (/no such (image|object)/i.test(said)) {
        return `no such image on ${engine.name}; build or pull it there first (docker images lists what it has)`;
    }
    return `could not ask ${engine.name} for it: ${said || String(e)}; check that the engine answers (docker info)`;
}

function quote(s: string): string {
    return /^[A-Za-z0-9_.\/:@-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}
