#!/usr/bin/env -S node --max-semi-space-size=2 --max-old-space-size=64
// The `owlpost` command (see src/cli.ts). It lives outside dist/ so that it exists in a fresh
// clone: installing the workspace links the command before anything is built.
import '../dist/cli.js'
