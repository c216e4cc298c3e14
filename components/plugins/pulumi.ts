// Implementation `pulumi`: @pulumi/docker and @pulumi/command, at the
// versions package.json pins; Pulumi installs their plugins. A remote engine
// gets an explicit docker provider; the local one, the default provider.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as command from "@pulumi/command";
import { contextEndpoint, EngineRef } from "../engine";
import { CommandSpec, ContainerSpec, ImageSpec } from "./specs";
import { withTwin } from "./twins";
import type { Plugins } from "./index";

export function pulumiPlugins(engine: EngineRef, parent: pulumi.Resource): Plugins {
    // The docker provider reads contexts from ~/.docker whatever DOCKER_CONFIG
    // says, so a context goes to it as the address the docker CLI resolves.
    const host = engine.dockerContext ? contextEndpoint(engine.dockerContext) : engine.dockerHost;
    const provider = host
        ? new docker.Provider("docker-engine", {
            host,
            certPath: engine.dockerCertPath,
            // Never wait for a password or a host-key question: fail and say so.
            sshOpts: host.startsWith("ssh://") ? ["-o", "BatchMode=yes"] : undefined,
        }, { parent })
        : undefined;
    // A new engine needs the image built there: docker.Image would only see
    // its provider updated, and keep the build of the old engine.
    const onEngine = JSON.stringify(engine);
    return {
        image(name: string, spec: ImageSpec, opts: pulumi.CustomResourceOptions) {
            // docker.Image sends the whole context minus .dockerignore and
            // hashes it; contextPaths and contentHash are for ndind.
            const r = new docker.Image(name, {
                imageName: spec.imageName,
                skipPush: true,
                build: {
                    context: spec.context,
                    dockerfile: path.join(spec.context, spec.dockerfile),
                    args: spec.buildArgs,
                    platform: spec.platform,
                    // BuildKit needs buildx, which the docker CLIs here lack.
                    builderVersion: "BuilderV1",
                },
            }, { ...withTwin("image", "pulumi", opts), provider, replacementTrigger: onEngine });
            // For an image that is not pushed, repoDigest is the local image ID.
            return { resource: r, imageName: r.imageName, imageId: r.repoDigest };
        },
        container(name: string, spec: ContainerSpec, opts: pulumi.CustomResourceOptions) {
            const r = new docker.Container(name, {
                ...spec,
                // docker.Container's read treats a container that is not running as gone.
                mustRun: true,
            }, { ...withTwin("container", "pulumi", opts), provider, deleteBeforeReplace: true });
            return { resource: r, name: r.name, id: r.id };
        },
        command(name: string, spec: CommandSpec, opts: pulumi.CustomResourceOptions) {
            const r = new command.local.Command(name, spec, withTwin("command", "pulumi", opts));
            return { resource: r, stdout: r.stdout, stderr: r.stderr };
        },
    };
}
