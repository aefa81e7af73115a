// Package iam holds fnurl's identity domain: the account, its users and
// access keys, and the principals that signed requests resolve to. It owns
// the rules (ID formats, limits, who may hold which key) and declares the
// Store it needs; storage packages implement that Store and never the
// reverse.
//
// Secret access keys are sealed with the keyring before they reach the
// Store, so a copy of the database alone reveals no secret.
package iam
