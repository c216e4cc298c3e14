#!/bin/sh
# The passphrase Pulumi encrypts the stacks' secrets with (registry passwords,
# proxy credentials, TLS keys). Where the user set none, the Makefile points
# PULUMI_CONFIG_PASSPHRASE_FILE at $NDIND_PASSPHRASE_FILE: random, this user's,
# outside the checkout, so a stack file that leaves the machine opens nowhere.
#   passphrase.sh        (make toolchain) makes it if missing, and says once where it is
#   passphrase.sh STACK  (make stack) moves STACK's secrets to it from the empty
#                        passphrase make used before
# A passphrase of the user's own, and a stack made with another secrets
# provider, are left as they are.
set -eu
. "$(dirname "$0")/lib.sh"
cd "$NDIND_ROOT"

# Salts the empty passphrase does not open: a fact about each salt, kept
# beside the passphrase so that a make with nothing to move costs two file
# reads, not a key derivation.
CHECKED=$(dirname "$NDIND_PASSPHRASE_FILE")/salts-not-empty

ours() {
	[ "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" = "$NDIND_PASSPHRASE_FILE" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ]
}

make_passphrase() {
	if ! ours; then
		log "secrets passphrase: yours (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE), used as it is"
		return 0
	fi
	file=$NDIND_PASSPHRASE_FILE
	if [ -e "$file" ]; then
		# An empty one would be the derivable passphrase this file replaces.
		[ -s "$file" ] || die "$file is empty: remove it and run make toolchain for a new one" \
			"(stacks whose secrets it encrypted cannot be read with the new one)"
		log "secrets passphrase: $file"
		return 0
	fi
	dir=$(dirname "$file")
	(umask 077 && mkdir -p "$dir")
	chmod 700 "$dir"
	# Written whole, then linked: an interrupted run leaves no empty
	# passphrase, and of two runs at once the second keeps the first's (ln
	# does not replace a file), which stacks may already be encrypted with.
	(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$file.new.$$" && echo >>"$file.new.$$")
	if ! ln "$file.new.$$" "$file" 2>/dev/null; then
		rm -f "$file.new.$$"
		log "secrets passphrase: $file (made by another run meanwhile)"
		return 0
	fi
	rm -f "$file.new.$$"
	log "secrets passphrase: made $file (random, 64 hex digits, readable by you only)."
	log "  Pulumi encrypts your stacks' secrets with it; make sets PULUMI_CONFIG_PASSPHRASE_FILE to it."
	log "  Back it up (a password manager, or a copy kept off this machine): without it the secrets in"
	log "  your stacks cannot be read. Another machine uses a copy at the same path, mode 0600."
}

# The salt of the stack's passphrase secrets manager in its state, or nothing.
state_salt() {
	$P stack export 2>/dev/null | node -e '
		const d = JSON.parse(require("fs").readFileSync(0, "utf8")).deployment || {};
		const sp = d.secrets_providers || {};
		if (sp.type === "passphrase" && sp.state && sp.state.salt) console.log(sp.state.salt);
	' || :
}

salt_of() { sed -n 's/^encryptionsalt: *//p' "$1"; }

# Does the empty passphrase open this salt? Pulumi's own check: the salt is
# "v1:SALT:v1:NONCE:SEALED", SEALED is "pulumi" under AES-256-GCM with the key
# PBKDF2-SHA256(passphrase, SALT, 1000000 rounds). Exit 0 yes, 1 no, 2 not a
# passphrase salt (left to Pulumi to report).
empty_opens() {
	node -e '
		const crypto = require("crypto");
		const m = /^v1:([A-Za-z0-9+/=]+):v1:([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(process.argv[1]);
		if (!m) process.exit(2);
		const key = crypto.pbkdf2Sync("", Buffer.from(m[1], "base64"), 1000000, 32, "sha256");
		const sealed = Buffer.from(m[3], "base64");
		const d = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(m[2], "base64"));
		d.setAuthTag(sealed.subarray(sealed.length - 16));
		try {
			process.exit(Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]).toString() === "pulumi" ? 0 : 1);
		} catch {
			process.exit(1);
		}
	' "$1"
}

# A copy of the file made whole before it replaces the target.
copy() { cp "$1" "$2.new" && mv "$2.new" "$2"; }

# A move cut short (Ctrl-C, a crash) left $JOURNAL, the stack file as it was.
# change-secrets-provider writes the stack file (new salt, then the secrets
# re-encrypted) before the state: a state under the stack file's new salt
# means the move had finished; otherwise the file goes back as it was and the
# move runs again.
finish_interrupted() {
	old=$(salt_of "$JOURNAL")
	now=$(salt_of "$FILE")
	if [ "$now" != "$old" ] && [ "$(state_salt)" = "$now" ]; then
		$P config --show-secrets --json >/dev/null ||
			die "stack $STACK: its secrets do not open after an interrupted move; the stack file as it was is in $JOURNAL (empty passphrase)"
		rm -f "$JOURNAL"
		log "stack $STACK: the move of its secrets had finished before it was interrupted"
	else
		copy "$JOURNAL" "$FILE"
		log "stack $STACK: a move of its secrets was interrupted; its stack file is back as it was, moving again"
	fi
}

move_stack() {
	FILE=$(stack_file "$STACK")
	JOURNAL=$FILE.empty-passphrase
	P="pulumi --non-interactive --stack $STACK"
	[ -f "$FILE" ] || return 0
	[ ! -f "$JOURNAL" ] || finish_interrupted
	case $(sed -n 's/^secretsprovider: *//p' "$FILE") in
	"" | passphrase) ;;
	*) return 0 ;;
	esac
	salt=$(salt_of "$FILE")
	if [ -z "$salt" ]; then
		# A stack file made from Pulumi.dev.yaml (or lost) for a stack that
		# exists: its salt is in the state, where Pulumi does not look for it.
		salt=$(state_salt)
		[ -n "$salt" ] || return 0
		[ -z "$(tail -c 1 "$FILE")" ] || echo >>"$FILE"
		printf 'encryptionsalt: %s\n' "$salt" >>"$FILE"
		log "stack $STACK: its stack file had no encryption salt; the state's written into it"
	fi
	grep -qxF -- "$salt" "$CHECKED" 2>/dev/null && return 0
	rc=0
	empty_opens "$salt" || rc=$?
	case $rc in
	1) [ ! -d "$(dirname "$CHECKED")" ] || echo "$salt" >>"$CHECKED" ;;
	0)
		[ -s "$PULUMI_CONFIG_PASSPHRASE_FILE" ] ||
			die "stack $STACK: its secrets are under the empty passphrase, and $PULUMI_CONFIG_PASSPHRASE_FILE, to move them to, is missing: run make toolchain"
		log "stack $STACK: its secrets are under the empty passphrase make used before; moving them to $PULUMI_CONFIG_PASSPHRASE_FILE"
		copy "$FILE" "$JOURNAL"
		# The old passphrase in PULUMI_CONFIG_PASSPHRASE (Pulumi reads it before
		# the file), the new one on stdin: how the CLI takes it when not interactive.
		PULUMI_CONFIG_PASSPHRASE='' $P stack change-secrets-provider passphrase <"$PULUMI_CONFIG_PASSPHRASE_FILE" ||
			die "stack $STACK: pulumi stack change-secrets-provider failed (above); the stack file as it was is in $JOURNAL, and make stack tries again"
		$P config --show-secrets --json >/dev/null && $P stack export --show-secrets >/dev/null ||
			die "stack $STACK: its secrets do not open with $PULUMI_CONFIG_PASSPHRASE_FILE after the move; the stack file as it was is in $JOURNAL"
		rm -f "$JOURNAL"
		salt_of "$FILE" >>"$CHECKED"
		log "stack $STACK: secrets moved (config and state), kept as they were; they now need $PULUMI_CONFIG_PASSPHRASE_FILE"
		;;
	esac
}

if [ $# -eq 0 ]; then
	make_passphrase
elif ours; then
	STACK=$1
	move_stack
fi
