// A remote engine may lack the wrapper's base image and have no registry to
// pull it from (the offline nerdctl-dind/base:alpine-3.23 and :bookworm exist
// only where the toolchain made them). Before the build there, the base
// image, whichever it is, is copied from this machine's engine over the
// engine connection (docker save | docker load) when that engine has it and
// the remote one does not.
import * as pulumi from "@pulumi/pulumi";
import { engineCommand } from "./commands";
import { StackContext } from "./context";
import { HostCommand } from "./plugins/specs";

// `here` is this machine's default engine: no DOCKER_* variable of the stack's.
const COPY = `here() { env -u DOCKER_HOST -u DOCKER_CERT_PATH -u DOCKER_TLS_VERIFY DOCKER_CONTEXT=default docker "$@"; }
if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    echo "base image $BASE_IMAGE: present on $ENGINE_NAME"
elif here image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    echo "base image $BASE_IMAGE: copying from this machine's engine to $ENGINE_NAME"
    here save "$BASE_IMAGE" | docker load -q
else
    echo "base image $BASE_IMAGE: on neither engine; the build on $ENGINE_NAME pulls it"
fi`;

export function copyBaseImage(ctx: StackContext, name: string, opts: pulumi.CustomResourceOptions): HostCommand {
    const { baseImage } = ctx.settings;
    return engineCommand(ctx, name, {
        create: COPY,
        environment: { BASE_IMAGE: baseImage, ENGINE_NAME: ctx.engine.name },
        triggers: [baseImage, ctx.engine.ref],
    }, opts);
}
