// Command go-client drives the vkubelet streaming server with the real Kubernetes client code
// (client-go remotecommand and portforward, i.e. what the apiserver and kubectl use), so the tests
// check interoperability with spdystream and gorilla/websocket, not just with our own test clients.
//
//	go-client exec <url> <spdy|websocket> <tty:true|false>   stdin → server, prints {"stdout","stderr","exitCode","error"}
//	go-client portforward <url> <spdy|tunnel> <remotePort>   forwards a local port, sends stdin through, prints what came back
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"
	utilexec "k8s.io/client-go/util/exec"
)

type result struct {
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
	ExitCode int    `json:"exitCode"`
	Error    string `json:"error,omitempty"`
}

func main() {
	if len(os.Args) < 5 {
		fmt.Fprintln(os.Stderr, "usage: go-client exec|portforward <url> <transport> <arg>")
		os.Exit(2)
	}
	mode, rawURL, transport, arg := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	target, err := url.Parse(rawURL)
	if err != nil {
		panic(err)
	}
	config := &rest.Config{Host: target.Scheme + "://" + target.Host}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out result
	switch mode {
	case "exec":
		out = runExec(ctx, config, target, transport, arg == "true")
	case "portforward":
		out = runPortForward(ctx, config, target, transport, arg)
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
}

func runExec(ctx context.Context, config *rest.Config, target *url.URL, transport string, tty bool) result {
	var executor remotecommand.Executor
	var err error
	if transport == "websocket" {
		executor, err = remotecommand.NewWebSocketExecutor(config, "GET", target.String())
	} else {
		executor, err = remotecommand.NewSPDYExecutor(config, "POST", target)
	}
	if err != nil {
		return result{Error: err.Error()}
	}
	var stdout, stderr bytes.Buffer
	options := remotecommand.StreamOptions{Stdin: os.Stdin, Stdout: &stdout, Tty: tty}
	if !tty {
		options.Stderr = &stderr
	} else {
		options.TerminalSizeQueue = &fixedSize{sizes: []remotecommand.TerminalSize{{Width: 80, Height: 24}, {Width: 132, Height: 43}}}
	}
	err = executor.StreamWithContext(ctx, options)
	res := result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exitErr utilexec.ExitError
	if errors.As(err, &exitErr) {
		res.ExitCode = exitErr.ExitStatus()
	} else if err != nil {
		res.Error = err.Error()
	}
	return res
}

type fixedSize struct{ sizes []remotecommand.TerminalSize }

func (f *fixedSize) Next() *remotecommand.TerminalSize {
	if len(f.sizes) == 0 {
		time.Sleep(time.Hour) // no more resizes; the session ends first
		return nil
	}
	next := f.sizes[0]
	f.sizes = f.sizes[1:]
	return &next
}

func runPortForward(ctx context.Context, config *rest.Config, target *url.URL, transport string, remotePort string) result {
	rt, upgrader, err := spdy.RoundTripperFor(config)
	if err != nil {
		return result{Error: err.Error()}
	}
	var dialer = spdy.NewDialer(upgrader, &http.Client{Transport: rt}, "POST", target)
	if transport == "tunnel" {
		dialer, err = portforward.NewSPDYOverWebsocketDialer(target, config)
		if err != nil {
			return result{Error: err.Error()}
		}
	}
	stop := make(chan struct{})
	ready := make(chan struct{})
	var logs bytes.Buffer
	forwarder, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{"0:" + remotePort}, stop, ready, &logs, &logs)
	if err != nil {
		return result{Error: err.Error()}
	}
	done := make(chan error, 1)
	go func() { done <- forwarder.ForwardPorts() }()
	select {
	case <-ready:
	case err := <-done:
		return result{Error: fmt.Sprintf("forwarder ended: %v", err)}
	case <-ctx.Done():
		return result{Error: "timed out waiting for the forwarder"}
	}
	ports, err := forwarder.GetPorts()
	if err != nil {
		return result{Error: err.Error()}
	}
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", ports[0].Local))
	if err != nil {
		return result{Error: err.Error()}
	}
	input, _ := io.ReadAll(os.Stdin)
	_, _ = conn.Write(input)
	_ = conn.(*net.TCPConn).CloseWrite()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	received, readErr := io.ReadAll(conn)
	conn.Close()
	close(stop)
	res := result{Stdout: string(received), Stderr: strings.TrimSpace(logs.String())}
	if readErr != nil {
		res.Error = readErr.Error()
	}
	return res
}
