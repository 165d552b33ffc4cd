#!/usr/bin/python3
"""lint-cli.py PROGRAM PAGE - a program's per-command help against its man page.

For a program with `PROGRAM help COMMAND`:
  - each command's usage line is its SYNOPSIS line in the page, and the page
    has no SYNOPSIS line for a command that does not exist;
  - each command's help fits on a screen (24 lines, 80 columns), the global
    help in 50 lines;
  - an option documented for named commands (".It Fl Fl OPT" followed by
    ".Cm a , Cm b :") names exactly the commands whose help lists it;
  - every --word the page renders is an option of the program (or a named
    other program's), and no rendered "-word" is a word that mdoc's Fl
    swallowed ("--stop -where -needed").
Prints one line per failure and a summary; exit 1 on any failure.
"""
import os
import re
import subprocess
import sys

# options of other programs that the pages quote in examples
FOREIGN = {"--now", "--object", "--read-only", "-c", "-r", "-l", "-R", "-v", "-h"}

failures = []
passed = 0


def check(ok, msg):
    global passed
    if ok:
        passed += 1
    else:
        failures.append(msg)


def run(*argv):
    p = subprocess.run(argv, capture_output=True, text=True)
    return p.returncode, p.stdout


def render(page):
    env = dict(os.environ, MANWIDTH="200")
    out = subprocess.run(["mandoc", "-Tascii", page], capture_output=True, text=True,
                         env=env).stdout
    return subprocess.run(["col", "-b"], input=out, capture_output=True, text=True).stdout


def commands_of(prog):
    rc, text = run(prog, "help")
    if rc != 0:
        return None, text
    m = re.search(r"^commands:\n((?:  .*\n)+)", text, re.M)
    if not m:
        return None, text
    return [line.split()[0] for line in m.group(1).splitlines()], text


def synopsis_lines(rendered, name):
    m = re.search(r"^SYNOPSIS\n(.*?)^\S", rendered, re.M | re.S)
    lines = [" ".join(l.split()) for l in (m.group(1) if m else "").splitlines()]
    return [l for l in lines if l.startswith(name + " ")]


def command_items(source):
    """{option: set of commands} for items that name their commands."""
    items = {}
    lines = source.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith(".It ") or "Fl Fl " not in line:
            continue
        opts = re.findall(r"Fl Fl ([a-z][a-z0-9-]*)", line)
        body = lines[i + 1] if i + 1 < len(lines) else ""
        if not (body.startswith(".Cm ") and body.endswith(" :")):
            continue
        cmds = set(re.findall(r"Cm ([a-z]+)", body))
        for o in opts:
            items[o] = cmds
    return items


def main():
    prog, page = sys.argv[1], sys.argv[2]
    name = os.path.basename(prog)
    commands, global_help = commands_of(prog)
    if commands is None:
        print(f"lint-cli: {name} has no 'help' command; skipped")
        return 0
    rendered = render(page)
    with open(page) as f:
        source = f.read()

    check(len(global_help.splitlines()) <= 50, f"{name} help is over 50 lines")
    synopsis = synopsis_lines(rendered, name)
    takes = {}      # option -> commands whose help lists it
    all_options = set(re.findall(r"--[a-z][a-z0-9-]+", global_help))
    # short forms, as the help gives them: "  -f, --format"
    all_options |= set(re.findall(r"^\s+(-[a-zA-Z]), --", global_help, re.M))
    for cmd in commands:
        rc, text = run(prog, "help", cmd)
        check(rc == 0, f"{name} help {cmd} exits {rc}")
        lines = text.splitlines()
        check(len(lines) <= 24, f"{name} help {cmd} is {len(lines)} lines")
        check(all(len(l) <= 80 for l in lines), f"{name} help {cmd} is wider than 80")
        usage = lines[0][len("usage: "):] if lines and lines[0].startswith("usage: ") else ""
        check(usage.startswith(f"{name} {cmd}"), f"{name} help {cmd}: no usage line")
        # the page writes arguments in lower case (.Ar), help in upper case
        want = [l for l in synopsis if l.split()[1] == cmd]
        check(want == [usage.lower()] or [w.lower() for w in want] == [usage.lower()],
              f"{name}.1 SYNOPSIS for {cmd} is {want}, help says '{usage}'")
        for o in re.findall(r"--([a-z][a-z0-9-]+)", "\n".join(lines[1:])):
            takes.setdefault(o, set()).add(cmd)
            all_options.add("--" + o)
    for line in synopsis:
        check(line.split()[1] in commands, f"{name}.1 SYNOPSIS names no command: '{line}'")

    items = command_items(source)
    for opt, cmds in sorted(takes.items()):
        documented = opt in items or re.search(rf"^\.It .*Fl Fl {re.escape(opt)}\b", source, re.M)
        check(bool(documented), f"{name}.1 does not document --{opt}")
        if opt in items:
            check(items[opt] == cmds - {"help"},
                  f"{name}.1 says --{opt} is for {sorted(items[opt])}; "
                  f"help gives it to {sorted(cmds - {'help'})}")
    for opt, cmds in items.items():
        check(opt in takes, f"{name}.1 documents --{opt} for {sorted(cmds)}; no command takes it")

    for word in sorted(set(re.findall(r"(?:^|[^A-Za-z0-9_/.-])(--?[a-zA-Z][a-zA-Z0-9-]*)",
                                      rendered, re.M))):
        check(word in all_options or word in FOREIGN,
              f"{name}.1 renders '{word}', which is no option (a word after Fl?)")

    for f in failures:
        print(f"not ok - {f}")
    print(f"cli: {name}: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


sys.exit(main())
