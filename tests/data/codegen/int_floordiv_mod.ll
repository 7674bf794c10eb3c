; expr: a // b + a % b
; args: a: 64 * int32, b: 64 * int32
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; Function Attrs: alwaysinline
define internal void @blaze_kernel.row(ptr noalias %0, ptr noalias %1, ptr noalias %2, i64 %3, i64 %4, i64 %5, i64 %6, i64 %7) #0 {
entry:
  %any = icmp slt i64 %6, %7
  br i1 %any, label %pre, label %exit

pre:                                              ; preds = %entry
  br label %loop

loop:                                             ; preds = %loop, %pre
  %j = phi i64 [ %6, %pre ], [ %jn, %loop ]
  %p = getelementptr i32, ptr %0, i64 %j
  %ld = load i32, ptr %p, align 4
  %p1 = getelementptr i32, ptr %1, i64 %j
  %ld2 = load i32, ptr %p1, align 4
  %dz = icmp eq i32 %ld2, 0
  %safe = select i1 %dz, i32 1, i32 %ld2
  %m1 = icmp eq i32 %safe, -1
  %safe2 = select i1 %m1, i32 1, i32 %safe
  %q = sdiv i32 %ld, %safe2
  %r = srem i32 %ld, %safe2
  %nx = sub i32 0, %ld
  %q1 = select i1 %m1, i32 %nx, i32 %q
  %r1 = select i1 %m1, i32 0, i32 %r
  %rnz = icmp ne i32 %r1, 0
  %rn = icmp slt i32 %r1, 0
  %dn = icmp slt i32 %safe2, 0
  %df = icmp ne i1 %rn, %dn
  %adj = and i1 %rnz, %df
  %qa = sub i32 %q1, 1
  %ra = add i32 %r1, %safe2
  %qf = select i1 %adj, i32 %qa, i32 %q1
  %rf = select i1 %adj, i32 %ra, i32 %r1
  %dz0 = select i1 %dz, i32 0, i32 %qf
  %dz3 = icmp eq i32 %ld2, 0
  %safe4 = select i1 %dz3, i32 1, i32 %ld2
  %m15 = icmp eq i32 %safe4, -1
  %safe26 = select i1 %m15, i32 1, i32 %safe4
  %q7 = sdiv i32 %ld, %safe26
  %r8 = srem i32 %ld, %safe26
  %nx9 = sub i32 0, %ld
  %q110 = select i1 %m15, i32 %nx9, i32 %q7
  %r111 = select i1 %m15, i32 0, i32 %r8
  %rnz12 = icmp ne i32 %r111, 0
  %rn13 = icmp slt i32 %r111, 0
  %dn14 = icmp slt i32 %safe26, 0
  %df15 = icmp ne i1 %rn13, %dn14
  %adj16 = and i1 %rnz12, %df15
  %qa17 = sub i32 %q110, 1
  %ra18 = add i32 %r111, %safe26
  %qf19 = select i1 %adj16, i32 %qa17, i32 %q110
  %rf20 = select i1 %adj16, i32 %ra18, i32 %r111
  %dz021 = select i1 %dz3, i32 0, i32 %rf20
  %add = add i32 %dz0, %dz021
  %p22 = getelementptr i32, ptr %2, i64 %j
  store i32 %add, ptr %p22, align 4
  %jn = add i64 %j, 1
  %cont = icmp slt i64 %jn, %7
  br i1 %cont, label %loop, label %post

post:                                             ; preds = %loop
  br label %exit

exit:                                             ; preds = %post, %entry
  ret void
}

define void @blaze_kernel(ptr %0, ptr %1, ptr %2, i64 %3, i64 %4) #1 {
entry:
  %pp = getelementptr ptr, ptr %0, i64 0
  %base = load ptr, ptr %pp, align 8
  %pp1 = getelementptr ptr, ptr %0, i64 1
  %base2 = load ptr, ptr %pp1, align 8
  %pp3 = getelementptr ptr, ptr %0, i64 2
  %base4 = load ptr, ptr %pp3, align 8
  %g = getelementptr i64, ptr %2, i64 0
  %v = load i64, ptr %g, align 8
  %ne = icmp sgt i64 %v, 0
  br i1 %ne, label %start, label %exit

exit:                                             ; preds = %row, %entry
  ret void

start:                                            ; preds = %entry
  %r0 = sdiv i64 %3, %v
  %rl = mul i64 %r0, %v
  %j0 = sub i64 %3, %rl
  %g5 = getelementptr i64, ptr %1, i64 0
  %v6 = load i64, ptr %g5, align 8
  %g7 = getelementptr i64, ptr %1, i64 1
  %v8 = load i64, ptr %g7, align 8
  %g9 = getelementptr i64, ptr %1, i64 2
  %v10 = load i64, ptr %g9, align 8
  br label %row

row:                                              ; preds = %rowbody, %start
  %r = phi i64 [ %r0, %start ], [ %rn, %rowbody ]
  %js = phi i64 [ %j0, %start ], [ 0, %rowbody ]
  %rs = mul i64 %r, %v
  %more = icmp slt i64 %rs, %4
  br i1 %more, label %rowbody, label %exit

rowbody:                                          ; preds = %row
  %left = sub i64 %4, %rs
  %lt = icmp slt i64 %left, %v
  %je = select i1 %lt, i64 %left, i64 %v
  %p = getelementptr i32, ptr %base, i64 0
  %p11 = getelementptr i32, ptr %base2, i64 0
  %p12 = getelementptr i32, ptr %base4, i64 0
  call void @blaze_kernel.row(ptr %p, ptr %p11, ptr %p12, i64 %v6, i64 %v8, i64 %v10, i64 %js, i64 %je)
  %rn = add i64 %r, 1
  br label %row
}

attributes #0 = { alwaysinline "target-cpu"="<host>" "target-features"="<host>" }
attributes #1 = { "target-cpu"="<host>" "target-features"="<host>" }
