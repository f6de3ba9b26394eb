"""The office's console: staff accounts, sign-in, and the pages staff work cases on."""
