// The wrapper image: ./dockerfile on the base image, with the bundle and
// scripts/. Nothing is fetched while it builds (the bundle brings every tool
// the wrapper runs), so it needs no network and no proxy, and a proxy change
// leaves it, and the wrapper, as they are. It is rebuilt exactly when one of those changes: the content hash
// covers the dockerfile, every file in scripts/, the base image's name and the
// bundle folder key (the versions and the patch series; built from nerdctl/src,
// only that: edits there reach the wrapper through the NerdctlFromSource step).
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Bundle } from "./bundle";
import { StackContext } from "./context";
import { BuiltImage } from "./plugins/specs";
import { copyBaseImage } from "./base-image";

export class WrapperImage extends pulumi.ComponentResource {
    readonly image: BuiltImage;
    readonly imageName: pulumi.Output<string>;
    /** The built image's ID: the wrapper is replaced when it changes. */
    readonly imageId: pulumi.Output<string>;

    constructor(name: string, ctx: StackContext, bundle: Bundle, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:WrapperImage", name, {}, opts);
        const buildArgs = { BASE_IMAGE: ctx.settings.baseImage, BUNDLE: bundle.dirKey };
        // The engine's own platform, named for the build; the base step put a base of that
        // architecture there (Docker 20.10's legacy builder does not check FROM's platform itself).
        const platform = `linux/${ctx.engine.arch}`;
        const before = ctx.engine.remote ? [copyBaseImage(ctx, `${name}-base`, { parent: this }).resource] : [];
        this.image = ctx.plugins.image(`${name}-build`, {
            imageName: ctx.image,
            context: ctx.projectRoot,
            contextPaths: ["dockerfile", "scripts", path.join("nerdctl", "out", bundle.dirKey)],
            dockerfile: "dockerfile",
            buildArgs,
            platform,
            contentHash: contentHash(ctx.projectRoot, { ...buildArgs, platform }),
        }, { parent: this, dependsOn: [bundle.build.resource, ...before] });
        this.imageName = this.image.imageName;
        this.imageId = this.image.imageId;
        this.registerOutputs({ imageName: this.imageName, imageId: this.imageId });
    }
}

export function contentHash(root: string, buildArgs: Record<string, string>): string {
    const hash = createHash("sha256").update(JSON.stringify(buildArgs));
    const files = ["dockerfile", ...listFiles(root, "scripts")];
    for (const file of files) {
        const full = path.join(root, file);
        hash.update(`\0${file}\0${fs.statSync(full).mode & 0o111}\0`).update(fs.readFileSync(full));
    }
    return hash.digest("hex");
}

function listFiles(root: string, dir: string): string[] {
    return fs.readdirSync(path.join(root, dir), { withFileTypes: true })
        .flatMap((e) => e.isDirectory() ? listFiles(root, path.join(dir, e.name)) : [path.join(dir, e.name)])
        .sort();
}
