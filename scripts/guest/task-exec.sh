# Guest task "exec" (sourced by init.sh): run one program against the loaded
# driver, for a developer's experiment: `run-guest.py --task exec --file PROG
# --env EXEC=PROG [--env EXEC_ARGS="..."]`. Its output goes to $RUN/exec.out,
# its exit status to $RUN/exec.rc.

chmod +x "$RUN/$EXEC" 2>/dev/null
# shellcheck disable=SC2086 # EXEC_ARGS is a list of words
"$RUN/$EXEC" ${EXEC_ARGS:-} >"$RUN/exec.out" 2>&1
echo $? >"$RUN/exec.rc"
