# bash completion for lifeboat-extract; made by build-aux/gen-completion.py from
# 'lifeboat-extract help': do not edit, run 'make completion'

_lifeboat_extract()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local commands="filesystems ls cat copy verify inventory help"
	local valued=" --backed-up --exclude --filesystem --format --include --manifest --min-size --newer-than --reader --top "
	local cloud=""
	local cmd='' i w
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == -* ]]; then
			[[ $valued == *" $w "* ]] && ((i++))
			continue
		fi
		cmd=$w
		break
	done
	case $prev in
	--backed-up|--manifest)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--format)
		COMPREPLY=($(compgen -W "raw qcow2" -- "$cur"))
		return ;;
	--reader)
		COMPREPLY=($(compgen -W "auto native appliance" -- "$cur"))
		return ;;
	--backed-up|--exclude|--filesystem|--format|--include|--manifest|--min-size|--newer-than|--reader|--top)
		return ;;
	esac
	local opts
	case $cmd in
	filesystems) opts="--format --reader --allow-backing --verbose --json --help $cloud" ;;
	ls) opts="--format --filesystem --reader --allow-backing --long --recursive --verbose --json --help $cloud" ;;
	cat) opts="--format --filesystem --reader --allow-backing --verbose --help $cloud" ;;
	copy) opts="--format --filesystem --reader --allow-backing --manifest --include --exclude --newer-than --preserve-owner --specials --progress --no-progress --verbose --json --help $cloud" ;;
	verify) opts="--owner --json --help $cloud" ;;
	inventory) opts="--format --filesystem --reader --allow-backing --backed-up --fail-if-unprotected --min-size --top --progress --no-progress --verbose --json --help $cloud" ;;
	help) opts="--help $cloud" ;;
	*) opts="--json --help --version $cloud" ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	elif [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$commands" -- "$cur"))
	else
		case $cmd in
		filesystems) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
		ls) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
		cat) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
		copy) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
		verify) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
		inventory) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
		help) COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
		esac
	fi
}
complete -F _lifeboat_extract lifeboat-extract
