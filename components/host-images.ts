// The hostImages setting: after the wrapper is up, copies those images from
// the host's Docker engine into the stack's containerd (docker save | docker
// exec -i … nerdctl load, by toolchain/load-images.sh). A host command, since
// prepare runs inside the wrapper and cannot reach the host's engine. It runs
// again when the wrapper or one of the images changes.
import { execFileSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { engineCommand, quote } from "./commands";
import { StackContext } from "./context";
import { Engine, engineEnv } from "./engine";
import { SettingsError } from "./settings/types";
import { HostCommand } from "./plugins/specs";

export class HostImages extends pulumi.ComponentResource {
    readonly run: HostCommand;
    readonly report: pulumi.Output<string>;

    constructor(name: string, ctx: StackContext, wrapperId: pulumi.Input<string>, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:HostImages", name, {}, opts);
        const images = ctx.settings.sources.hostImages;
        const ids = hostImageIds(images, ctx.engine, `${ctx.settings.project}:hostImages`);
        this.run = engineCommand(ctx, `${name}-load`, {
            create: ["sh", "toolchain/load-images.sh", ctx.container, ...images].map(quote).join(" "),
            inProjectRoot: true,
            triggers: [wrapperId, ...ids],
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
