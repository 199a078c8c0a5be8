// Package contract checks the Nomad emulator with github.com/hashicorp/nomad/api, the official
// client: if the client cannot use the emulator, the emulator is wrong. The emulator's address,
// token, region and TLS files come from the NOMAD_* variables the client itself reads.
package contract

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
)

func newClient(t *testing.T) *api.Client {
	t.Helper()
	if os.Getenv("NOMAD_ADDR") == "" {
		t.Fatal("NOMAD_ADDR is not set: run this through tests/contract/go-client.test.ts, which starts the emulator")
	}
	client, err := api.NewClient(api.DefaultConfig())
	if err != nil {
		t.Fatalf("api.NewClient: %v", err)
	}
	return client
}

func region() string {
	if r := os.Getenv("NOMAD_REGION"); r != "" {
		return r
	}
	return api.GlobalRegion
}

// waitForAlloc follows the job's allocations with blocking queries until one satisfies done.
func waitForAlloc(t *testing.T, client *api.Client, jobID string, done func(*api.AllocationListStub) bool) (*api.AllocationListStub, int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var index uint64
	blocked := 0
	for time.Now().Before(deadline) {
		allocs, meta, err := client.Jobs().Allocations(jobID, false, &api.QueryOptions{WaitIndex: index, WaitTime: 5 * time.Second})
		if err != nil {
			t.Fatalf("job allocations (index %d): %v", index, err)
		}
		if !meta.KnownLeader {
			t.Fatalf("X-Nomad-KnownLeader is false")
		}
		if meta.LastIndex < index {
			t.Fatalf("X-Nomad-Index went back from %d to %d", index, meta.LastIndex)
		}
		if index > 0 {
			blocked++
		}
		for _, alloc := range allocs {
			if done(alloc) {
				t.Logf("allocation %s %s after %d blocking queries (X-Nomad-Index %d)", alloc.ID, alloc.ClientStatus, blocked, meta.LastIndex)
				return alloc, blocked
			}
		}
		index = meta.LastIndex
	}
	t.Fatalf("no allocation of %s reached the wanted state in 30s", jobID)
	return nil, blocked
}

func readLogs(t *testing.T, client *api.Client, alloc *api.Allocation, task, logType string) (string, []*api.StreamFrame) {
	t.Helper()
	cancel := make(chan struct{})
	defer close(cancel)
	frames, errs := client.AllocFS().Logs(alloc, false, task, logType, api.OriginStart, 0, cancel, nil)
	var all []*api.StreamFrame
	var text strings.Builder
	for {
		select {
		case frame, ok := <-frames:
			if !ok {
				return text.String(), all
			}
			all = append(all, frame)
			text.Write(frame.Data)
		case err := <-errs:
			t.Fatalf("logs %s/%s: %v", task, logType, err)
		case <-time.After(10 * time.Second):
			t.Fatalf("logs %s/%s did not end", task, logType)
		}
	}
}

func TestServiceJobLifecycle(t *testing.T) {
	client := newClient(t)

	leader, err := client.Status().Leader()
	if err != nil || leader == "" {
		t.Fatalf("status leader: %q, %v", leader, err)
	}
	nodes, _, err := client.Nodes().List(nil)
	if err != nil || len(nodes) == 0 {
		t.Fatalf("nodes: %d, %v", len(nodes), err)
	}
	node, _, err := client.Nodes().Info(nodes[0].ID, nil)
	if err != nil || node.NodeResources == nil || node.NodeResources.Cpu.CpuShares <= 0 || node.NodeResources.Memory.MemoryMB <= 0 {
		t.Fatalf("node info: %+v, %v", node, err)
	}

	jobID := "contract-web"
	job := api.NewServiceJob(jobID, jobID, region(), 50)
	job.Datacenters = []string{node.Datacenter}
	job.SetMeta("vkubelet.io/pod-uid", "0b6e1c47-contract")
	group := api.NewTaskGroup("web", 1)
	group.Networks = []*api.NetworkResource{{DynamicPorts: []api.Port{{Label: "http", To: 8080}}}}
	task := api.NewTask("app", "docker").
		SetConfig("image", "busybox:1.36").
		SetConfig("command", "sh").
		SetConfig("args", []string{"-c", "echo hello from nomad; echo to stderr >&2; sleep 3600"})
	task.Env = map[string]string{"GREETING": "hi"}
	group.AddTask(task)
	job.AddTaskGroup(group)

	registered, writeMeta, err := client.Jobs().Register(job, nil)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	if registered.EvalID == "" || writeMeta.LastIndex == 0 {
		t.Fatalf("register answer: %+v, index %d", registered, writeMeta.LastIndex)
	}
	stored, _, err := client.Jobs().Info(jobID, nil)
	if err != nil {
		t.Fatalf("job info: %v", err)
	}
	if *stored.Type != "service" || stored.Meta["vkubelet.io/pod-uid"] != "0b6e1c47-contract" || *stored.TaskGroups[0].RestartPolicy.Attempts != 2 {
		t.Fatalf("job read back: type %s, meta %v, restart %+v", *stored.Type, stored.Meta, stored.TaskGroups[0].RestartPolicy)
	}
	listed, _, err := client.Jobs().PrefixList("contract-")
	if err != nil || len(listed) != 1 || listed[0].ID != jobID {
		t.Fatalf("job list by prefix: %+v, %v", listed, err)
	}

	stub, _ := waitForAlloc(t, client, jobID, func(a *api.AllocationListStub) bool { return a.ClientStatus == "running" })
	evaluation, _, err := client.Evaluations().Info(registered.EvalID, nil)
	if err != nil || evaluation.Status != "complete" {
		t.Fatalf("evaluation: %+v, %v", evaluation, err)
	}
	alloc, _, err := client.Allocations().Info(stub.ID, nil)
	if err != nil {
		t.Fatalf("allocation info: %v", err)
	}
	state := alloc.TaskStates["app"]
	if state == nil || state.State != "running" || state.StartedAt.IsZero() {
		t.Fatalf("task state: %+v", state)
	}
	networks := alloc.AllocatedResources.Shared.Networks
	if len(networks) != 1 || networks[0].IP == "" || len(networks[0].DynamicPorts) != 1 || networks[0].DynamicPorts[0].Value == 0 {
		t.Fatalf("allocation network: %+v", networks)
	}

	stdout, frames := readLogs(t, client, alloc, "app", api.FSLogNameStdout)
	if stdout != "hello from nomad\n" {
		t.Fatalf("stdout log: %q", stdout)
	}
	last := frames[len(frames)-1]
	if last.File != "alloc/logs/app.stdout.0" || last.Offset != int64(len(stdout)) {
		t.Fatalf("last frame: file %q offset %d", last.File, last.Offset)
	}
	if stderr, _ := readLogs(t, client, alloc, "app", api.FSLogNameStderr); stderr != "to stderr\n" {
		t.Fatalf("stderr log: %q", stderr)
	}

	// Following: the framed stream stays open (heartbeats) until the reader closes it.
	cancel := make(chan struct{})
	followFrames, followErrs := client.AllocFS().Logs(alloc, true, "app", api.FSLogNameStdout, api.OriginEnd, 6, cancel, nil)
	reader := api.NewFrameReader(followFrames, followErrs, cancel)
	reader.SetUnblockTime(100 * time.Millisecond)
	var followed bytes.Buffer
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(followed.String(), "nomad\n") && time.Now().Before(deadline) {
		buf := make([]byte, 1024)
		n, err := reader.Read(buf)
		if err != nil && err != io.EOF {
			t.Fatalf("follow read: %v", err)
		}
		followed.Write(buf[:n])
	}
	reader.Close()
	if followed.String() != "nomad\n" {
		t.Fatalf("followed from origin end, offset 6: %q", followed.String())
	}

	var execOut, execErr bytes.Buffer
	ctx, done := context.WithTimeout(context.Background(), 20*time.Second)
	defer done()
	code, err := client.Allocations().Exec(ctx, alloc, "app", false,
		[]string{"sh", "-c", "cat; env >&2; exit 3"},
		strings.NewReader("ping\npong\n"), &execOut, &execErr, nil, nil)
	if err != nil {
		t.Fatalf("exec: %v", err)
	}
	if code != 3 || execOut.String() != "ping\npong\n" || !strings.Contains(execErr.String(), "GREETING=hi\n") {
		t.Fatalf("exec: exit %d, stdout %q, stderr %q", code, execOut.String(), execErr.String())
	}

	usage, err := client.Allocations().Stats(alloc, nil)
	if err != nil || usage.Tasks["app"] == nil || usage.Tasks["app"].ResourceUsage.MemoryStats.RSS == 0 {
		t.Fatalf("stats: %+v, %v", usage, err)
	}

	if _, _, err := client.Jobs().Deregister(jobID, true, nil); err != nil {
		t.Fatalf("deregister: %v", err)
	}
	if _, _, err := client.Jobs().Info(jobID, nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("job info after purge: %v", err)
	}
	stopped, _ := waitForAlloc(t, client, jobID, func(a *api.AllocationListStub) bool {
		return a.ID == alloc.ID && a.DesiredStatus == "stop" && a.ClientStatus == "complete"
	})
	events := stopped.TaskStates["app"].Events
	if last := events[len(events)-1]; last.Type != api.TaskKilled {
		t.Fatalf("last event after stop: %+v", last)
	}
}

func TestBatchJobRestartsThenFails(t *testing.T) {
	client := newClient(t)
	jobID := "contract-batch"
	job := api.NewBatchJob(jobID, jobID, region(), 50)
	group := api.NewTaskGroup("once", 1)
	group.RestartPolicy = &api.RestartPolicy{
		Attempts: new(1), Delay: new(50 * time.Millisecond), Interval: new(time.Minute), Mode: new(api.RestartPolicyModeFail),
	}
	group.ReschedulePolicy = &api.ReschedulePolicy{Attempts: new(0), Unlimited: new(false)}
	group.AddTask(api.NewTask("step", "raw_exec").
		SetConfig("command", "/bin/sh").
		SetConfig("args", []string{"-c", "echo attempt; exit 2"}))
	job.AddTaskGroup(group)
	if _, _, err := client.Jobs().Register(job, nil); err != nil {
		t.Fatalf("register: %v", err)
	}
	defer client.Jobs().Deregister(jobID, true, nil)

	stub, blocked := waitForAlloc(t, client, jobID, func(a *api.AllocationListStub) bool { return a.ClientStatus == "failed" })
	if blocked == 0 {
		t.Fatalf("the allocation failed before any blocking query: nothing was waited for")
	}
	state := stub.TaskStates["step"]
	if state.State != "dead" || !state.Failed || state.Restarts != 1 || state.LastRestart.IsZero() {
		t.Fatalf("task state: %+v", state)
	}
	var types []string
	exitCodes := 0
	for _, event := range state.Events {
		types = append(types, event.Type)
		if event.Type == api.TaskTerminated && event.ExitCode == 2 {
			exitCodes++
		}
	}
	if exitCodes != 2 || types[len(types)-1] != api.TaskNotRestarting || !strings.Contains(state.Events[len(state.Events)-1].DisplayMessage, `mode is "fail"`) {
		t.Fatalf("events: %v", types)
	}
	alloc, _, err := client.Allocations().Info(stub.ID, nil)
	if err != nil {
		t.Fatalf("allocation info: %v", err)
	}
	if out, _ := readLogs(t, client, alloc, "step", api.FSLogNameStdout); out != "attempt\nattempt\n" {
		t.Fatalf("logs across restarts: %q", out)
	}
	summary, _, err := client.Jobs().Summary(jobID, nil)
	if err != nil || summary.Summary["once"].Failed != 1 {
		t.Fatalf("summary: %+v, %v", summary, err)
	}
}

func TestTokensAndRegions(t *testing.T) {
	config := api.DefaultConfig()
	config.SecretID = "00000000-0000-0000-0000-000000000000"
	stranger, err := api.NewClient(config)
	if err != nil {
		t.Fatalf("api.NewClient: %v", err)
	}
	_, _, err = stranger.Jobs().List(nil)
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), api.PermissionDeniedErrorContent) {
		t.Fatalf("unknown token: %v", err)
	}
	client := newClient(t)
	_, _, err = client.Jobs().List(&api.QueryOptions{Region: "elsewhere"})
	if err == nil || !strings.Contains(err.Error(), "No path to region") {
		t.Fatalf("unknown region: %v", err)
	}
	namespaces, _, err := client.Namespaces().List(nil)
	if err != nil || len(namespaces) == 0 {
		t.Fatalf("namespaces: %v, %v", namespaces, err)
	}
	health, err := client.Agent().Health()
	if err != nil || health.Server == nil || !health.Server.Ok {
		t.Fatalf("agent health: %+v, %v", health, err)
	}
	self, err := client.Agent().Self()
	if err != nil || self.Config["Region"] != region() {
		t.Fatalf("agent self: %v", err)
	}
}
