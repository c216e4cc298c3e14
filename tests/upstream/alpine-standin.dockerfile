# Stand-in for alpine:3.13 (testutil.AlpineImage, also CommonImage) where no
# registry answers: busybox with every applet linked, Alpine's folders and its
# stock users and groups (the user and group tests read them). No apk, no musl.
FROM busybox:ndind
RUN busybox --install -s /bin && mkdir -p /mnt /srv /opt /media /home /root /var /run && \
	printf '%s\n' 'root:x:0:0:root:/root:/bin/ash' 'bin:x:1:1:bin:/bin:/sbin/nologin' \
		'daemon:x:2:2:daemon:/sbin:/sbin/nologin' 'adm:x:3:4:adm:/var/adm:/sbin/nologin' \
		'lp:x:4:7:lp:/var/spool/lpd:/sbin/nologin' 'sync:x:5:0:sync:/sbin:/bin/sync' \
		'mail:x:8:12:mail:/var/mail:/sbin/nologin' 'operator:x:11:0:operator:/root:/sbin/nologin' \
		'guest:x:405:100:guest:/dev/null:/sbin/nologin' 'nobody:x:65534:65534:nobody:/:/sbin/nologin' >/etc/passwd && \
	printf '%s\n' 'root:x:0:root' 'bin:x:1:root,bin,daemon' 'daemon:x:2:root,bin,daemon' 'sys:x:3:root,bin,adm' \
		'adm:x:4:root,adm,daemon' 'tty:x:5:' 'disk:x:6:root,adm' 'lp:x:7:lp' 'mem:x:8:' 'kmem:x:9:' 'wheel:x:10:root' \
		'floppy:x:11:root' 'mail:x:12:mail' 'dialout:x:20:root' 'tape:x:26:root' 'video:x:27:root' \
		'users:x:100:games' 'nogroup:x:65533:' 'nobody:x:65534:' >/etc/group
CMD ["/bin/sh"]
