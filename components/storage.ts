// The host folder that outlives the wrapper: containerd's root, nerdctl's
// state (names, logs, port records) and BuildKit's cache database live here,
// on a real filesystem so that overlayfs never stacks on overlayfs. Kept on
// destroy unless asked. On a remote engine the folder is on that engine's
// host, made and deleted by a one-off container of the wrapper image run by
// that engine.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { HostCommand } from "./plugins/specs";
import { OWNER_FILE } from "./settings/types";
import { engineCommand } from "./commands";
import { StackContext } from "./context";

const CREATE = `mkdir -p "$DIR/containerd" "$DIR/nerdctl" "$DIR/buildkit" && printf '%s\\n' "$OWNER" > "$DIR/${OWNER_FILE}" && echo "storage: $DIR"`;
const DELETE = `if [ "$DELETE_ON_DESTROY" = true ]; then rm -rf "$DIR" && echo "storage: deleted $DIR"; else echo "storage: kept $DIR"; fi`;

// The same on the engine's host: its parent folder bind-mounted at /host.
// docker creates a missing parent; the owner check that preview makes for
// a local folder happens here, naming the host.
const ON_HOST = `docker run --rm --entrypoint /bin/sh -v "$PARENT:/host" -e NAME -e OWNER -e DIR -e ENGINE_NAME "$IMAGE" -c`;
const REMOTE_CREATE = `${ON_HOST} '
f="/host/$NAME/${OWNER_FILE}"
if [ -f "$f" ] && [ "$(cat "$f")" != "$OWNER" ]; then
    echo "storage: $DIR on $ENGINE_NAME holds the images of stack $(cat "$f"); give this stack a folder of its own (storageDir)" >&2
    exit 1
fi
mkdir -p "/host/$NAME/containerd" "/host/$NAME/nerdctl" "/host/$NAME/buildkit" && printf "%s\\n" "$OWNER" >"$f" && echo "storage: $DIR on $ENGINE_NAME"
' || { echo "storage: $DIR could not be made on $ENGINE_NAME" >&2; exit 1; }`;
const REMOTE_DELETE = `if [ "$DELETE_ON_DESTROY" != true ]; then echo "storage: kept $DIR on $ENGINE_NAME"; exit 0; fi
${ON_HOST} 'rm -rf "/host/$NAME"' && echo "storage: deleted $DIR on $ENGINE_NAME"`;

export class Storage extends pulumi.ComponentResource {
    readonly dir: string;
    readonly containerdDir: string;
    readonly nerdctlDir: string;
    readonly buildkitDir: string;
    readonly folder: HostCommand;

    /** `image` is the wrapper image: on a remote engine, a one-off container of it makes the folder. */
    constructor(name: string, ctx: StackContext, image: pulumi.Resource, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:Storage", name, {}, opts);
        const { storageDir: dir, project, stack, destroyDeletesStorage } = ctx.settings;
        this.dir = dir;
        this.containerdDir = path.join(dir, "containerd");
        this.nerdctlDir = path.join(dir, "nerdctl");
        this.buildkitDir = path.join(dir, "buildkit");
        // `update` is set so that toggling deleteOnDestroy or moving the folder
        // updates in place: a replacement would run DELETE on the old folder.
        const environment = {
            DIR: dir,
            OWNER: `${project}/${stack}`,
            DELETE_ON_DESTROY: String(destroyDeletesStorage),
        };
        this.folder = ctx.engine.remote
            ? engineCommand(ctx, `${name}-folder`, {
                create: REMOTE_CREATE,
                update: REMOTE_CREATE,
                delete: REMOTE_DELETE,
                environment: {
                    ...environment, PARENT: path.posix.dirname(dir), NAME: path.posix.basename(dir),
                    IMAGE: ctx.image, ENGINE_NAME: ctx.engine.name,
                },
            }, { parent: this, dependsOn: [image] })
            : ctx.plugins.command(`${name}-folder`, { create: CREATE, update: CREATE, delete: DELETE, environment }, { parent: this });
        this.registerOutputs({ dir: this.dir });
    }
}
