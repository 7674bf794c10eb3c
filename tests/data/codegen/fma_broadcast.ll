; expr: a * b + c
; args: a: 8 * 16 * float32, b: 16 * float32, c: float32
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; Function Attrs: alwaysinline
define internal void @blaze_kernel.row(ptr noalias %0, ptr noalias %1, ptr noalias %2, ptr noalias %3, i64 %4, i64 %5, i64 %6, i64 %7, i64 %8, i64 %9) #0 {
entry:
  %any = icmp slt i64 %8, %9
  br i1 %any, label %pre, label %exit

pre:                                              ; preds = %entry
  %ld = load float, ptr %2, align 4
  br label %loop

loop:                                             ; preds = %loop, %pre
  %j = phi i64 [ %8, %pre ], [ %jn, %loop ]
  %p = getelementptr float, ptr %0, i64 %j
  %ld1 = load float, ptr %p, align 4
  %p2 = getelementptr float, ptr %1, i64 %j
  %ld3 = load float, ptr %p2, align 4
  %mul = fmul contract float %ld1, %ld3
  %add = fadd contract float %mul, %ld
  %p4 = getelementptr float, ptr %3, i64 %j
  store float %add, ptr %p4, align 4
  %jn = add i64 %j, 1
  %cont = icmp slt i64 %jn, %9
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
  %pp5 = getelementptr ptr, ptr %0, i64 3
  %base6 = load ptr, ptr %pp5, align 8
  %g = getelementptr i64, ptr %2, i64 1
  %v = load i64, ptr %g, align 8
  %ne = icmp sgt i64 %v, 0
  br i1 %ne, label %start, label %exit

exit:                                             ; preds = %row, %entry
  ret void

start:                                            ; preds = %entry
  %r0 = sdiv i64 %3, %v
  %rl = mul i64 %r0, %v
  %j0 = sub i64 %3, %rl
  %g7 = getelementptr i64, ptr %1, i64 1
  %v8 = load i64, ptr %g7, align 8
  %g9 = getelementptr i64, ptr %1, i64 3
  %v10 = load i64, ptr %g9, align 8
  %g11 = getelementptr i64, ptr %1, i64 5
  %v12 = load i64, ptr %g11, align 8
  %g13 = getelementptr i64, ptr %1, i64 7
  %v14 = load i64, ptr %g13, align 8
  br label %row

row:                                              ; preds = %rowbody, %start
  %r = phi i64 [ %r0, %start ], [ %rn, %rowbody ]
  %js = phi i64 [ %j0, %start ], [ 0, %rowbody ]
  %rs = mul i64 %r, %v
  %more = icmp slt i64 %rs, %4
  br i1 %more, label %rowbody, label %exit

rowbody:                                          ; preds = %row
  %g15 = getelementptr i64, ptr %2, i64 0
  %v16 = load i64, ptr %g15, align 8
  %idx = srem i64 %r, %v16
  %rem = sdiv i64 %r, %v16
  %g17 = getelementptr i64, ptr %1, i64 0
  %v18 = load i64, ptr %g17, align 8
  %m = mul i64 %idx, %v18
  %off = add i64 0, %m
  %g19 = getelementptr i64, ptr %1, i64 2
  %v20 = load i64, ptr %g19, align 8
  %m21 = mul i64 %idx, %v20
  %off22 = add i64 0, %m21
  %g23 = getelementptr i64, ptr %1, i64 4
  %v24 = load i64, ptr %g23, align 8
  %m25 = mul i64 %idx, %v24
  %off26 = add i64 0, %m25
  %g27 = getelementptr i64, ptr %1, i64 6
  %v28 = load i64, ptr %g27, align 8
  %m29 = mul i64 %idx, %v28
  %off30 = add i64 0, %m29
  %left = sub i64 %4, %rs
  %lt = icmp slt i64 %left, %v
  %je = select i1 %lt, i64 %left, i64 %v
  %p = getelementptr float, ptr %base, i64 %off
  %p31 = getelementptr float, ptr %base2, i64 %off22
  %p32 = getelementptr float, ptr %base4, i64 %off26
  %p33 = getelementptr float, ptr %base6, i64 %off30
  call void @blaze_kernel.row(ptr %p, ptr %p31, ptr %p32, ptr %p33, i64 %v8, i64 %v10, i64 %v12, i64 %v14, i64 %js, i64 %je)
  %rn = add i64 %r, 1
  br label %row
}

attributes #0 = { alwaysinline "target-cpu"="<host>" "target-features"="<host>" }
attributes #1 = { "target-cpu"="<host>" "target-features"="<host>" }
