package tracker

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkEvaluate judges a large pull request: 3,000 changed files against
// path rules, 500 comments (chat, sign-offs, revokes, quoted commands) and
// 100 reviews. Run with
//
//	go test ./tracker -run '^$' -bench BenchmarkEvaluate -benchmem
func BenchmarkEvaluate(b *testing.B) {
	p := gatePolicy(b, `  - paths: ["payments/**", "**/*.sql"]
    kinds: [vendor]
=>  - paths: ["payments/**", "**/*.sql"]
    kinds: [vendor]
  - paths: ["infra/**/*.tf", "**/migrations/**", "api/**/*.proto", "site/checkout/**", "**/*.{graphql,gql}"]
    kinds: [backend]
  - paths: ["site/**/*.{css,scss}", "site/**/*.html", "design/**"]
    kinds: [usability]
`)
	pr := gatePR()
	pr.Files = make([]string, 3000)
	for i := range pr.Files {
		pr.Files[i] = fmt.Sprintf("site/pages/section-%03d/component-%d/index.tsx", i%300, i)
	}
	pr.Files[2999] = "db/migrations/0042_orders.sql" // the vendor rule matches only at the very end
	signers := []string{"alice", "bob", "carol", "mallory", "ivan", "uma", "dev", "renovate[bot]"}
	bodies := []string{
		"Looks good to me, one nit below.",
		"/signoff usability",
		"/signoff backend",
		"> /signoff backend\nquoting: that is how you sign",
		"/signoff revoke usability",
		"```\n/signoff usability\n```\nlike this",
		"Can we get #7 linked? See https://github.com/acme/site/issues/7",
	}
	for i := 0; i < 500; i++ {
		pr.Comments = append(pr.Comments, gComment(int64(1000+i), signers[i%len(signers)], bodies[i%len(bodies)], gHead, i))
	}
	states := []string{ReviewApproved, ReviewCommented, ReviewChangesRequested, ReviewApproved, ReviewDismissed}
	for i := 0; i < 100; i++ {
		sha := gHead
		if i%3 == 0 {
			sha = gOld
		}
		pr.Reviews = append(pr.Reviews, gReview(int64(5000+i), signers[i%len(signers)], states[i%len(states)], sha, 2*i+1, "/signoff backend"))
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		v, err := Evaluate(ctx, p, pr, gateBriefs, newGateDir())
		if err != nil || len(v.Required) != 3 {
			b.Fatalf("Evaluate = %v, %v; want three required kinds", v, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(pr.Comments)), "ns/comment")
}
