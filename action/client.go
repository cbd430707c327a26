package action

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"golang.org/x/oauth2"
)

// RateLimitError is returned when GitHub's primary rate limit for the token is
// used up. Waiting for it is pointless inside a job (it resets hourly), so the
// action stops and says when to re-run.
type RateLimitError struct {
	Reset time.Time // zero when GitHub did not say
}

// Error says until when the limit holds and what to do.
func (e *RateLimitError) Error() string {
	if e.Reset.IsZero() {
		return "the GitHub API rate limit of this token is used up: re-run the job later"
	}
	return fmt.Sprintf("the GitHub API rate limit of this token is used up until %s: re-run the job after that",
		e.Reset.UTC().Format("2006-01-02 15:04:05 UTC"))
}

// retryTransport retries what GitHub asks to be retried: 5xx answers,
// secondary rate limits (403 with Retry-After or the secondary-rate-limit
// documentation URL) and 429 (Retry-After), with exponential backoff and
// jitter. budget bounds the waits of the whole run, not of each request: a
// run of a dozen requests that each meet a secondary limit still gives up
// after budget. A request marked with once (creating a comment) is not sent
// again after an answer that may mean GitHub carried it out (a 5xx, a broken
// connection): a second comment would be worse than a failed run, which a
// re-run repairs. A used-up primary limit
// (X-RateLimit-Remaining: 0) is passed through at once: go-github turns it
// into *github.RateLimitError and apiError into *RateLimitError.
type retryTransport struct {
	base     http.RoundTripper
	sleep    func(ctx context.Context, d time.Duration) error
	now      func() time.Time
	budget   time.Duration
	attempts int
	// notify, when set, is told of each retry before its wait, in words a
	// person reads: "GitHub answered 502; retrying in 4s".
	notify func(msg string)

	mu     sync.Mutex
	waited time.Duration // by every request of the run
}

type onceKey struct{}

// once marks the requests made with ctx as not to be repeated after an
// answer that may mean GitHub carried them out (see retryTransport).
func once(ctx context.Context) context.Context {
	return context.WithValue(ctx, onceKey{}, true)
}

// spend reserves wait from the run's budget; false when it would exceed it.
func (t *retryTransport) spend(wait time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.waited+wait > t.budget {
		return false
	}
	t.waited += wait
	return true
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	for attempt := 0; ; attempt++ {
		r := req.Clone(req.Context())
		if body != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		resp, err := t.base.RoundTrip(r)
		wait, retry := t.retryAfter(resp, err, attempt)
		if retry && req.Context().Value(onceKey{}) != nil && (err != nil || resp.StatusCode >= 500) {
			retry = false
		}
		if !retry || attempt+1 >= t.attempts || !t.spend(wait) {
			if attempt > 0 && resp != nil {
				// For the error message: the answer is the last of several.
				resp.Header.Set(attemptsHeader, strconv.Itoa(attempt+1))
			}
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				err = &UnreachableError{Host: req.URL.Host, Tries: attempt + 1, Err: err}
			}
			return resp, err
		}
		if t.notify != nil {
			secs := max(int(wait.Round(time.Second)/time.Second), 1)
			switch {
			case err != nil:
				t.notify(fmt.Sprintf("GitHub did not answer (%s); retrying in %ds", netReason(err), secs))
			case resp.StatusCode >= 500:
				t.notify(fmt.Sprintf("GitHub answered %d; retrying in %ds", resp.StatusCode, secs))
			default:
				t.notify(fmt.Sprintf("GitHub asks to slow down (%d, rate limit); retrying in %ds", resp.StatusCode, secs))
			}
		}
		if resp != nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if err := t.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
	}
}

// attemptsHeader is set by retryTransport on an answer that came after
// retries, with how many times the request was sent.
const attemptsHeader = "X-Twokey-Attempts"

// UnreachableError is a request that GitHub never answered, after Tries
// attempts: a host name that does not resolve, a refused or broken
// connection, a timeout. Its message is one line that says what to check.
type UnreachableError struct {
	Host  string
	Tries int
	Err   error
}

// Error says which host, why in a few words, and what to check.
func (e *UnreachableError) Error() string {
	tries := ""
	if e.Tries > 1 {
		tries = fmt.Sprintf(", %d tries", e.Tries)
	}
	return fmt.Sprintf("cannot reach %s (%s%s): host unreachable: check GH_HOST/GITHUB_API_URL and the network", e.Host, netReason(e.Err), tries)
}

// Unwrap returns the network error.
func (e *UnreachableError) Unwrap() error { return e.Err }

// netReason says in a few words why a request got no answer.
func netReason(err error) string {
	var dns *net.DNSError
	var ne net.Error
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return "no such host"
	case errors.As(err, &dns):
		return "name lookup failed"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	}
	var tlsErr *tls.CertificateVerificationError
	if errors.As(err, &tlsErr) {
		return "its certificate is not trusted"
	}
	// The innermost message, without Go's "Get \"URL\": dial tcp ..."
	// wrapping: the system's words, "connection refused".
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(err) {
		err = u
	}
	return err.Error()
}

// ServerError is an answer GitHub gave with a 5xx status, after Tries
// attempts: GitHub (or a proxy in front of it) failed, not the request.
type ServerError struct {
	Status int
	Tries  int
	Err    error // the go-github error
}

// Error names the status in words and says that it was retried.
func (e *ServerError) Error() string {
	retried := "not retried"
	if e.Tries > 1 {
		retried = fmt.Sprintf("also on %d retries", e.Tries-1)
	}
	return fmt.Sprintf("GitHub answered %d %s (%s): try again later; https://www.githubstatus.com says whether GitHub is down", e.Status, http.StatusText(e.Status), retried)
}

// Unwrap returns the go-github error, for errors.As.
func (e *ServerError) Unwrap() error { return e.Err }

// retryAfter decides whether to retry and how long to wait first.
func (t *retryTransport) retryAfter(resp *http.Response, err error, attempt int) (time.Duration, bool) {
	backoff := time.Duration(float64(time.Second<<attempt) * (0.5 + rand.Float64())) // 1s, 2s, 4s, ... ±50%
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return 0, false
		}
		return backoff, true
	}
	switch {
	case resp.StatusCode >= 500:
		return backoff, true
	case resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests:
		return 0, false
	case resp.Header.Get("X-RateLimit-Remaining") == "0":
		return 0, false // primary limit: fail fast with the reset time
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if s, err := strconv.Atoi(ra); err == nil && s >= 0 {
			return time.Duration(s)*time.Second + backoff/4, true
		}
		if at, err := http.ParseTime(ra); err == nil {
			return max(at.Sub(t.now()), 0) + backoff/4, true
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return backoff, true
	}
	// A 403 is a secondary limit only when GitHub says so in the body.
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if bytes.Contains(data, []byte("secondary-rate-limits")) || bytes.Contains(data, []byte("abuse-rate-limits")) ||
		bytes.Contains(data, []byte("secondary rate limit")) {
		return max(backoff, 5*time.Second), true
	}
	return 0, false
}

// clientOptions are how newClient builds the go-github client.
type clientOptions struct {
	apiURL string // "" is https://api.github.com
	token  string
	http   *http.Client
	sleep  func(ctx context.Context, d time.Duration) error
	now    func() time.Time
	budget time.Duration
	notify func(msg string)
}

// newClient returns a go-github client for apiURL (GITHUB_API_URL: api.github.com
// or https://HOST/api/v3 on GHES) that authenticates with token and retries
// through retryTransport.
func newClient(o clientOptions) (*github.Client, error) {
	var base http.RoundTripper
	if o.http != nil && o.http.Transport != nil {
		base = o.http.Transport
	} else {
		// A server that never answers must not hang the job: each attempt
		// waits at most 30s for its headers (the retries have their budget).
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = 30 * time.Second
		base = t
	}
	if o.budget == 0 {
		o.budget = 60 * time.Second
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.sleep == nil {
		o.sleep = sleepCtx
	}
	var rt http.RoundTripper = &retryTransport{base: base, sleep: o.sleep, now: o.now, budget: o.budget, attempts: 6, notify: o.notify}
	if o.token != "" {
		rt = &oauth2.Transport{Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: o.token}), Base: rt}
	}
	hc := &http.Client{Transport: rt}
	if o.http != nil {
		hc.Timeout = o.http.Timeout
	}
	c := github.NewClient(hc)
	if o.apiURL != "" {
		u, err := url.Parse(strings.TrimSuffix(o.apiURL, "/") + "/")
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("GITHUB_API_URL %q is not a URL like https://api.github.com or https://HOST/api/v3", o.apiURL)
		}
		c.BaseURL = u
	}
	c.UserAgent = "twokey"
	return c, nil
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// apiError names the failed operation and turns rate-limit answers into
// *RateLimitError; other errors keep their go-github type for errors.As.
func apiError(op string, err error) error {
	if err == nil {
		return nil
	}
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		return fmt.Errorf("%s: %w", op, &RateLimitError{Reset: rl.Rate.Reset.Time})
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.Header.Get("X-RateLimit-Remaining") == "0" {
		reset := time.Time{}
		if s, err := strconv.ParseInt(er.Response.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			reset = time.Unix(s, 0)
		}
		return fmt.Errorf("%s: %w", op, &RateLimitError{Reset: reset})
	}
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode >= 500 {
		tries, _ := strconv.Atoi(er.Response.Header.Get(attemptsHeader))
		return fmt.Errorf("%s: %w", op, &ServerError{Status: er.Response.StatusCode, Tries: max(tries, 1), Err: err})
	}
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", op, ue)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// statusOf returns the HTTP status of a go-github error, or 0.
func statusOf(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

// isNotFound reports whether err is GitHub's 404.
func isNotFound(err error) bool { return statusOf(err) == http.StatusNotFound }

// isReadOnly reports whether err is the 403 a read-only token gets on a write
// ("Resource not accessible by integration"), as in pull_request runs from
// forks.
func isReadOnly(err error) bool {
	var er *github.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusForbidden &&
		strings.Contains(er.Message, "not accessible by integration")
}
