package cond

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Cond is a compiled condition. It is immutable and safe for concurrent
// use; a nil *Cond is always true.
type Cond struct {
	name   string
	source string
	prog   *vm.Program // nil: always true
}

// Error is a compile or evaluation error of a named condition. Its message
// starts with the rule's name: rule "vip-refund": ….
type Error struct {
	Rule string
	Err  error // expr's error, with the position in the source
}

func (e *Error) Error() string { return fmt.Sprintf("rule %q: %v", e.Rule, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

// Compile parses and type-checks source against Env. name is the rule the
// condition belongs to and appears in every error. An empty (or blank)
// source is always true. The error, an *Error, reports unknown names and
// fields, type mismatches and results that are not bool.
func Compile(name, source string) (*Cond, error) {
	c := &Cond{name: name, source: source}
	if strings.TrimSpace(source) == "" {
		return c, nil
	}
	prog, err := expr.Compile(source, expr.Env(Env{}), expr.AsBool())
	if err != nil {
		return nil, &Error{Rule: name, Err: err}
	}
	c.prog = prog
	return c, nil
}

// Eval reports whether the condition holds for env. A runtime failure (an
// index out of range, a failed conversion) is an *Error; callers treat the
// condition as not holding.
func (c *Cond) Eval(env Env) (bool, error) {
	if c == nil || c.prog == nil {
		return true, nil
	}
	out, err := expr.Run(c.prog, env)
	if err != nil {
		return false, &Error{Rule: c.name, Err: err}
	}
	ok, isBool := out.(bool)
	if !isBool { // AsBool makes this unreachable; kept so a nil result cannot panic
		return false, &Error{Rule: c.name, Err: fmt.Errorf("result %v is not a bool", out)}
	}
	return ok, nil
}

// Source returns the expression as written; "" for an always-true condition.
func (c *Cond) Source() string {
	if c == nil {
		return ""
	}
	return c.source
}

// Name returns the rule name given to Compile.
func (c *Cond) Name() string {
	if c == nil {
		return ""
	}
	return c.name
}
