// The wrapper image: ./dockerfile on the base image, with the bundle and
// scripts/. docker.Image hashes its context (see .dockerignore), so it is
// rebuilt exactly when the base, the bundle or the scripts change.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { Bundle } from "./bundle";

export interface WrapperImageArgs {
    projectRoot: string;
    name: string;
    baseImage: string;
    bundle: Bundle;
}

export class WrapperImage extends pulumi.ComponentResource {
    readonly image: docker.Image;
    readonly imageName: pulumi.Output<string>;
    /** Content address of the build: the wrapper is replaced when it changes. */
    readonly imageId: pulumi.Output<string>;

    constructor(name: string, args: WrapperImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:WrapperImage", name, {}, opts);
        this.image = new docker.Image(`${name}-build`, {
            imageName: args.name,
            skipPush: true,
            build: {
                context: args.projectRoot,
                dockerfile: path.join(args.projectRoot, "dockerfile"),
                args: { BASE_IMAGE: args.baseImage, BUNDLE: args.bundle.key },
                // The legacy builder works with every engine and client here;
                // BuildKit needs a buildx the newer docker CLI lacks (DESIGN.md 4).
                builderVersion: docker.BuilderVersion.BuilderV1,
                platform: "linux/amd64",
            },
        }, { parent: this, dependsOn: [args.bundle.build] });
        this.imageName = this.image.imageName;
        this.imageId = this.image.repoDigest;
        this.registerOutputs({ imageName: this.imageName, imageId: this.imageId });
    }
}
