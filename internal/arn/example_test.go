package arn_test

import (
	"fmt"

	"github.com/fnurl/fnurl/internal/arn"
)

func ExampleParse() {
	a, err := arn.Parse("arn:aws:lambda:us-east-1:111122223333:function:my-fn:prod")
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Service, a.AccountID, a.Resource)
	// Output: lambda 111122223333 function:my-fn:prod
}

func ExampleMatch() {
	fn := "arn:aws:lambda:us-east-1:111122223333:function:my-fn"
	fmt.Println(arn.Match("arn:aws:lambda:*:111122223333:function:*", fn))
	fmt.Println(arn.Match(fn, fn+":prod")) // an unqualified ARN does not cover aliases
	fmt.Println(arn.Match(fn+"*", fn+":prod"))
	// Output:
	// true
	// false
	// true
}
