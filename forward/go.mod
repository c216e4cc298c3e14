module nerdctl-dind/forward

go 1.21
