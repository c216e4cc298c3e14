# Stand-in for nginx:1.19-alpine (testutil.NginxAlpineImage) where no registry
# answers: busybox's httpd on port 80, serving a page with nginx's welcome
# title (testutil.NginxAlpineIndexHTMLSnippet), which is what the tests check.
FROM busybox:ndind
RUN mkdir -p /usr/share/nginx/html && \
	printf '<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head>\n<body>busybox httpd standing in for nginx</body></html>\n' \
	>/usr/share/nginx/html/index.html
EXPOSE 80
CMD ["httpd", "-f", "-p", "80", "-h", "/usr/share/nginx/html"]
