; expr: 2*a + sin(b)
; args: a: 64 * float64, b: 64 * float64
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
  %p = getelementptr double, ptr %0, i64 %j
  %ld = load double, ptr %p, align 8
  %p1 = getelementptr double, ptr %1, i64 %j
  %ld2 = load double, ptr %p1, align 8
  %mul = fmul contract double 2.000000e+00, %ld
  %m = call double @blaze_sin(double %ld2) #3
  %add = fadd contract double %mul, %m
  %p3 = getelementptr double, ptr %2, i64 %j
  store double %add, ptr %p3, align 8
  %jn = add i64 %j, 1
  %cont = icmp slt i64 %jn, %7
  br i1 %cont, label %loop, label %post

post:                                             ; preds = %loop
  br label %exit

exit:                                             ; preds = %post, %entry
  ret void
}

; Function Attrs: nofree nosync nounwind willreturn memory(none)
declare double @blaze_sin(double) #1

define void @blaze_kernel(ptr %0, ptr %1, ptr %2, i64 %3, i64 %4) #2 {
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
  %p = getelementptr double, ptr %base, i64 0
  %p11 = getelementptr double, ptr %base2, i64 0
  %p12 = getelementptr double, ptr %base4, i64 0
  call void @blaze_kernel.row(ptr %p, ptr %p11, ptr %p12, i64 %v6, i64 %v8, i64 %v10, i64 %js, i64 %je)
  %rn = add i64 %r, 1
  br label %row
}

attributes #0 = { alwaysinline "target-cpu"="<host>" "target-features"="<host>" }
attributes #1 = { nofree nosync nounwind willreturn memory(none) }
attributes #2 = { "target-cpu"="<host>" "target-features"="<host>" }
attributes #3 = { "vector-function-abi-variant"="<host>" }
