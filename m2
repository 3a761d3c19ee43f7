55878bd7a000-55878bda9000 r--p 00000000 fe:00 247101                     /usr/bin/bash
55878bda9000-55878be6a000 r-xp 0002f000 fe:00 247101                     /usr/bin/bash
55878be6a000-55878bea2000 r--p 000f0000 fe:00 247101                     /usr/bin/bash
55878bea2000-55878bea6000 r--p 00128000 fe:00 247101                     /usr/bin/bash
55878bea6000-55878beaf000 rw-p 0012c000 fe:00 247101                     /usr/bin/bash
55878beaf000-55878beba000 rw-p 00000000 00:00 0 
5587a27ca000-5587a2875000 rw-p 00000000 00:00 0                          [heap]
7f87dad86000-7f87daddd000 r--p 00000000 fe:00 320475                     /usr/lib/locale/C.utf8/LC_CTYPE
7f87daddd000-7f87dadde000 r--p 00000000 fe:00 320482                     /usr/lib/locale/C.utf8/LC_NUMERIC
7f87dadde000-7f87daddf000 r--p 00000000 fe:00 320485                     /usr/lib/locale/C.utf8/LC_TIME
7f87daddf000-7f87dade0000 r--p 00000000 fe:00 320474                     /usr/lib/locale/C.utf8/LC_COLLATE
7f87dade0000-7f87dade1000 r--p 00000000 fe:00 320480                     /usr/lib/locale/C.utf8/LC_MONETARY
7f87dade1000-7f87dade2000 r--p 00000000 fe:00 320479                     /usr/lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES
7f87dade2000-7f87dade3000 r--p 00000000 fe:00 320483                     /usr/lib/locale/C.utf8/LC_PAPER
7f87dade3000-7f87dade4000 r--p 00000000 fe:00 320481                     /usr/lib/locale/C.utf8/LC_NAME
7f87dade4000-7f87dade7000 rw-p 00000000 00:00 0 
7f87dade7000-7f87dae0d000 r--p 00000000 fe:00 332835                     /usr/lib/x86_64-linux-gnu/libc.so.6
7f87dae0d000-7f87daf63000 r-xp 00026000 fe:00 332835                     /usr/lib/x86_64-linux-gnu/libc.so.6
7f87daf63000-7f87dafb6000 r--p 0017c000 fe:00 332835                     /usr/lib/x86_64-linux-gnu/libc.so.6
7f87dafb6000-7f87dafba000 r--p 001cf000 fe:00 332835                     /usr/lib/x86_64-linux-gnu/libc.so.6
7f87dafba000-7f87dafbc000 rw-p 001d3000 fe:00 332835                     /usr/lib/x86_64-linux-gnu/libc.so.6
7f87dafbc000-7f87dafc9000 rw-p 00000000 00:00 0 
7f87dafc9000-7f87dafd8000 r--p 00000000 fe:00 333461                     /usr/lib/x86_64-linux-gnu/libtinfo.so.6.4
7f87dafd8000-7f87dafe9000 r-xp 0000f000 fe:00 333461                     /usr/lib/x86_64-linux-gnu/libtinfo.so.6.4
7f87dafe9000-7f87daff7000 r--p 00020000 fe:00 333461                     /usr/lib/x86_64-linux-gnu/libtinfo.so.6.4
7f87daff7000-7f87daffb000 r--p 0002d000 fe:00 333461                     /usr/lib/x86_64-linux-gnu/libtinfo.so.6.4
7f87daffb000-7f87daffc000 rw-p 00031000 fe:00 333461                     /usr/lib/x86_64-linux-gnu/libtinfo.so.6.4
7f87daffc000-7f87daffd000 r--p 00000000 fe:00 320473                     /usr/lib/locale/C.utf8/LC_ADDRESS
7f87daffd000-7f87daffe000 r--p 00000000 fe:00 320484                     /usr/lib/locale/C.utf8/LC_TELEPHONE
7f87daffe000-7f87dafff000 r--p 00000000 fe:00 320477                     /usr/lib/locale/C.utf8/LC_MEASUREMENT
7f87dafff000-7f87db006000 r--s 00000000 fe:00 332280                     /usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache
7f87db006000-7f87db007000 r--p 00000000 fe:00 320476                     /usr/lib/locale/C.utf8/LC_IDENTIFICATION
7f87db007000-7f87db009000 rw-p 00000000 00:00 0 
7f87db009000-7f87db00d000 r--p 00000000 00:00 0                          [vvar]
7f87db00d000-7f87db00f000 r--p 00000000 00:00 0                          [vvar_vclock]
7f87db00f000-7f87db011000 r-xp 00000000 00:00 0                          [vdso]
7f87db011000-7f87db012000 r--p 00000000 fe:00 332383                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7f87db012000-7f87db038000 r-xp 00001000 fe:00 332383                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7f87db038000-7f87db042000 r--p 00027000 fe:00 332383                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7f87db042000-7f87db044000 r--p 00031000 fe:00 332383                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7f87db044000-7f87db046000 rw-p 00033000 fe:00 332383                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7ffc02d24000-7ffc02d45000 rw-p 00000000 00:00 0                          [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
