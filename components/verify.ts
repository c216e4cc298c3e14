// Runs scripts/verify.sh in the wrapper: fails the update unless containerd
// serves, and turns `nerdctl images` into stack outputs.
import * as pulumi from "@pulumi/pulumi";
import { Providers } from "./providers";
import { HostCommand } from "./providers/specs";
import { execInWrapper } from "./commands";
import { EngineRef } from "./engine";

export interface VerifyArgs {
    providers: Providers;
    container: string;
    engine: EngineRef;
    triggers: pulumi.Input<unknown>[];
}

export interface ImageEntry {
    repository: string;
    tag: string;
    id: string;
    size: string;
}

export class Verify extends pulumi.ComponentResource {
    readonly run: HostCommand;
    readonly imagesText: pulumi.Output<string>;
    readonly images: pulumi.Output<ImageEntry[]>;

    constructor(name: string, args: VerifyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:Verify", name, {}, opts);
        this.run = execInWrapper(`${name}-run`, {
            providers: args.providers,
            container: args.container,
            script: "/scripts/verify.sh",
            engine: args.engine,
            triggers: args.triggers,
        }, { parent: this });
        const parsed = this.run.stdout.apply(parseVerifyOutput);
        this.imagesText = parsed.apply((p) => p.text);
        this.images = parsed.apply((p) => p.images);
        this.registerOutputs({ imagesText: this.imagesText, images: this.images });
    }
}

/** Splits verify.sh's output: a table under "### images", JSON lines under "### json". */
export function parseVerifyOutput(stdout: string): { text: string; images: ImageEntry[] } {
    const [, afterImages = ""] = stdout.split("### images\n");
    const [text, json = ""] = afterImages.split("### json\n");
    const images = json.split("\n").filter((l) => l.trim().startsWith("{")).map((line) => {
        const o = JSON.parse(line) as Record<string, string>;
        return { repository: o.Repository, tag: o.Tag, id: o.ID, size: o.Size };
    });
    return { text: text.trimEnd(), images };
}
