#!/usr/bin/python3
"""gen-completion.py PROGRAM bash|zsh - write PROGRAM's shell completion.

Everything comes from the program's own help, which its option tables
make: the commands (`PROGRAM help`), each command's options and their
values (`PROGRAM help COMMAND`), the common and the cloud options. The
files in contrib/completion/ are this script's output (`make completion`),
and a test checks that they still are.
"""
import re
import subprocess
import sys

# the names of option values that are local files: completed as file names
FILE_ARGS = {"FILE"}
# and of arguments: lifeboat-snap's IMAGE is in the cloud, lifeboat-extract's
# a local file (its FILE and PATH are inside the image)
POSITIONAL_FILES = {"lifeboat-snap": {"FILE"},
                    "lifeboat-extract": {"IMAGE", "DEST", "MANIFEST"}}


def help_text(prog, *args):
    return subprocess.run([prog, "help", *args], capture_output=True, text=True,
                          check=True).stdout


def section(text, title):
    m = re.search(rf"^{re.escape(title)}.*\n((?:  .*\n)+)", text, re.M)
    return m.group(1).splitlines() if m else []


def parse(prog):
    top = help_text(prog)
    commands = []
    for line in section(top, "commands:"):
        name, summary = line.split(None, 1)
        commands.append((name, summary.strip()))
    common = {}
    for line in section(top, "options"):
        m = re.match(r"^  (?:-\w, )?--([a-z0-9-]+)(?: (\S+))?\s{2,}(.*)$", line)
        if m:
            common[m.group(1)] = (m.group(2), m.group(3))
    cloud = {}
    for line in section(top, "cloud"):
        for m in re.finditer(r"--([a-z0-9-]+)(?: ([^-\s]\S*))?", line):
            cloud[m.group(1)] = (m.group(2), "cloud setting")
    per = {}
    for name, _ in commands:
        text = help_text(prog, name)
        usage = text.splitlines()[0]
        own = {}
        for line in text.splitlines()[1:]:
            m = re.match(r"^  (?:-\w, )?--([a-z0-9-]+)(?: (\S+))?\s{2,}(.*)$", line)
            if m:
                own[m.group(1)] = (m.group(2), m.group(3))
        also = next((l for l in text.splitlines() if l.startswith("also:")), "")
        shared = [o for o in re.findall(r"--([a-z0-9-]+)", also) if o in common]
        args = re.sub(r"\[options\]\s*", "", usage.split(" ", 3)[3] if usage.count(" ") >= 3 else "")
        # positional arguments only: drop the options, required ("--x V") or
        # optional ("[--a | --b]"), and their values
        args = re.sub(r"\[--[^]]*\]", " ", args)
        positional = re.sub(r"--\S+( [A-Z]\S*)?|\|", " ", args).replace(" ...", "...").split()
        per[name] = (own, shared, positional)
    return commands, common, cloud, per


def values_of(arg):
    """'a|b|c' -> the choices; a file -> 'file'; else None (free text)."""
    if not arg:
        return None
    if "|" in arg:
        return arg.split("|")
    if arg in FILE_ARGS:
        return "file"
    return None


def bash(prog, commands, common, cloud, per):
    fn = "_" + re.sub(r"\W", "_", prog)
    valued = sorted({o for o, (a, _) in list(common.items()) + list(cloud.items()) if a} |
                    {o for own, _, _ in per.values() for o, (a, _) in own.items() if a})
    out = [f"# bash completion for {prog}; made by build-aux/gen-completion.py from",
           f"# '{prog} help': do not edit, run 'make completion'",
           "",
           f"{fn}()",
           "{",
           "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}",
           f"\tlocal commands=\"{' '.join(n for n, _ in commands)}\"",
           f"\tlocal valued=\" {' '.join('--' + o for o in valued)} \"",
           f"\tlocal cloud=\"{' '.join('--' + o for o in cloud)}\"",
           "\tlocal cmd='' i w",
           "\tfor ((i = 1; i < COMP_CWORD; i++)); do",
           "\t\tw=${COMP_WORDS[i]}",
           "\t\tif [[ $w == -* ]]; then",
           "\t\t\t[[ $valued == *\" $w \"* ]] && ((i++))",
           "\t\t\tcontinue",
           "\t\tfi",
           "\t\tcmd=$w",
           "\t\tbreak",
           "\tdone",
           "\tcase $prev in"]
    choices = {}
    files = []
    for opts in [common, cloud] + [own for own, _, _ in per.values()]:
        for o, (a, _) in opts.items():
            v = values_of(a)
            if v == "file":
                files.append(o)
            elif v:
                choices[o] = v
    if files:
        out += [f"\t{'|'.join('--' + o for o in sorted(set(files)))})",
                "\t\tcompopt -o filenames 2>/dev/null",
                "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))",
                "\t\treturn ;;"]
    for o, v in sorted(choices.items()):
        out += [f"\t--{o})", f"\t\tCOMPREPLY=($(compgen -W \"{' '.join(v)}\" -- \"$cur\"))",
                "\t\treturn ;;"]
    out += [f"\t{'|'.join('--' + o for o in valued)})", "\t\treturn ;;", "\tesac",
            "\tlocal opts"]
    out += ["\tcase $cmd in"]
    for name, _ in commands:
        own, shared, _ = per[name]
        words = " ".join("--" + o for o in list(own) + shared)
        out += [f"\t{name}) opts=\"{words} $cloud\" ;;"]
    out += [f"\t*) opts=\"{' '.join('--' + o for o in common)} $cloud\" ;;", "\tesac",
            "\tif [[ $cur == -* ]]; then",
            "\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))",
            "\telif [[ -z $cmd ]]; then",
            "\t\tCOMPREPLY=($(compgen -W \"$commands\" -- \"$cur\"))",
            "\telse",
            "\t\tcase $cmd in"]
    for name, _ in commands:
        own, shared, positional = per[name]
        if name == "help":
            out += ["\t\thelp) COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\")) ;;"]
        elif any(p.strip("[].") in POSITIONAL_FILES.get(prog, set()) for p in positional):
            out += [f"\t\t{name}) compopt -o filenames 2>/dev/null; "
                    "COMPREPLY=($(compgen -f -- \"$cur\")) ;;"]
    out += ["\t\tesac", "\tfi", "}", f"complete -F {fn} {prog}", ""]
    return "\n".join(out)


def zsh_quote(s):
    return s.replace("'", "'\\''").replace("[", "\\[").replace("]", "\\]").replace(":", "\\:")


def zsh_spec(o, arg, desc):
    v = values_of(arg)
    spec = f"--{o}[{zsh_quote(desc)}]"
    if v == "file":
        spec += f":{arg.lower()}:_files"
    elif v:
        spec += f":{o}:({' '.join(v)})"
    elif arg:
        spec += f":{arg.lower()}: "
    return "'" + spec + "'"


def zsh(prog, commands, common, cloud, per):
    fn = "_" + re.sub(r"\W", "_", prog)
    out = [f"#compdef {prog}",
           f"# zsh completion for {prog}; made by build-aux/gen-completion.py from",
           f"# '{prog} help': do not edit, run 'make completion'",
           "",
           "local -a subcommands cloud valued",
           "subcommands=("]
    out += [f"\t'{n}:{zsh_quote(s)}'" for n, s in commands]
    out += [")", "cloud=("]
    out += [f"\t{zsh_spec(o, a, d)}" for o, (a, d) in cloud.items()]
    valued = sorted({o for o, (a, _) in list(common.items()) + list(cloud.items()) if a} |
                    {o for own, _, _ in per.values() for o, (a, _) in own.items() if a})
    out += [")", f"valued=({' '.join('--' + o for o in valued)})",
            "local cmd i",
            "for ((i = 2; i < CURRENT; i++)); do",
            "\tif [[ $words[i] == -* ]]; then",
            "\t\t(( ${valued[(Ie)$words[i]]} )) && ((i++))",
            "\t\tcontinue",
            "\tfi",
            "\tcmd=$words[i]",
            "\tbreak",
            "done",
            "if [[ -z $cmd ]]; then",
            "\tif [[ $PREFIX == -* ]]; then",
            "\t\t_arguments : " + " ".join(zsh_spec(o, a, d) for o, (a, d) in common.items())
            + " \"$cloud[@]\"",
            "\telse",
            "\t\t_describe -t commands command subcommands",
            "\tfi",
            "\treturn",
            "fi",
            "case $cmd in"]
    for name, _ in commands:
        own, shared, positional = per[name]
        specs = [zsh_spec(o, a, d) for o, (a, d) in own.items()]
        specs += [zsh_spec(o, *common[o]) for o in shared]
        if name == "help":
            pos = ["'::command:(" + " ".join(n for n, _ in commands) + ")'"]
        else:
            pos = []
            for p in positional:
                bare = p.strip("[].")
                action = "_files" if bare in POSITIONAL_FILES.get(prog, set()) else "( )"
                colons = "*:" if p.endswith("...") else "::" if p.startswith("[") else ":"
                pos.append(f"'{colons}{bare.lower()}:{action}'")
        out += [f"{name})", "\t_arguments : '1:command:(" + name + ")' "
                + " ".join(specs + pos) + " \"$cloud[@]\"", "\t;;"]
    out += ["esac", ""]
    return "\n".join(out)


def main():
    prog_path, shell = sys.argv[1], sys.argv[2]
    prog = prog_path.rsplit("/", 1)[-1]
    parsed = parse(prog_path)
    sys.stdout.write(bash(prog, *parsed) if shell == "bash" else zsh(prog, *parsed))


main()
