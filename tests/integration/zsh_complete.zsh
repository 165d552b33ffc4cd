# zsh_complete.zsh DIR LINE... - type each LINE and a TAB into an interactive zsh
# whose completion functions are in DIR; print what each line became
zmodload zsh/zpty
dir=$1; shift
zpty -b z 'zsh -f -i'
# the answer's marker is made when printed, so the echo of this line holds none
zpty -w z "PS1='%% '; fpath=($dir \$fpath); autoload -Uz compinit; compinit -u -D; unsetopt beep; showbuf() { print -r -- \"\${:-AN}S[\$BUFFER]\"; BUFFER=; }; zle -N showbuf; bindkey '^X' showbuf"
for line in "$@"; do
	zpty -w -n z "$line"$'\t'$'\x18'
	zpty -r -m z got '*ANS\[*\]*' || { print "no answer for $line"; exit 1; }
	got=${got##*ANS\[}
	print -r -- "${got%%\]*}"
done
zpty -d z
