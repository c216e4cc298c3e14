module nerdctl-dind/unbuffer

go 1.21
