// The host folder that outlives the wrapper: containerd's root and nerdctl's
// state (names, logs, port records) live here, on a real filesystem so that
// overlayfs never stacks on overlayfs. Kept on destroy unless asked.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LocalCommand } from "./providers/local-command";
import { OWNER_FILE } from "./config";

export interface StorageArgs {
    dir: string;
    owner: string;
    deleteOnDestroy: boolean;
}

const CREATE = `mkdir -p "$DIR/containerd" "$DIR/nerdctl" && printf '%s\\n' "$OWNER" > "$DIR/${OWNER_FILE}" && echo "storage: $DIR"`;
const DELETE = `if [ "$DELETE_ON_DESTROY" = true ]; then rm -rf "$DIR" && echo "storage: deleted $DIR"; else echo "storage: kept $DIR"; fi`;

export class Storage extends pulumi.ComponentResource {
    readonly dir: string;
    readonly containerdDir: string;
    readonly nerdctlDir: string;
    readonly folder: LocalCommand;

    constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:Storage", name, {}, opts);
        this.dir = args.dir;
        this.containerdDir = path.join(args.dir, "containerd");
        this.nerdctlDir = path.join(args.dir, "nerdctl");
        // `update` is set so that toggling deleteOnDestroy or moving the folder
        // updates in place: a replacement would run DELETE on the old folder.
        this.folder = new LocalCommand(`${name}-folder`, {
            create: CREATE,
            update: CREATE,
            delete: DELETE,
            environment: {
                DIR: args.dir,
                OWNER: args.owner,
                DELETE_ON_DESTROY: String(args.deleteOnDestroy),
            },
        }, { parent: this });
        this.registerOutputs({ dir: this.dir });
    }
}
