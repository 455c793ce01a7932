import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDate,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { EXTERNAL_REF_MAX_LENGTH, EXTERNAL_REF_PATTERN, EXTERNAL_REF_RULE } from '../external-ref.js';
import { ORDER_STATUSES, type OrderStatus } from '../order.entity.js';

export class ListOrdersQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'opaque, from nextCursor' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ enum: ORDER_STATUSES })
  @IsOptional()
  @IsIn(ORDER_STATUSES)
  status?: OrderStatus;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  createdFrom?: Date;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  createdTo?: Date;

  @ApiPropertyOptional({
    maxLength: EXTERNAL_REF_MAX_LENGTH,
    description: `the order with this externalRef (exact match): ${EXTERNAL_REF_RULE}`,
  })
  @IsOptional()
  @IsString()
  @Length(1, EXTERNAL_REF_MAX_LENGTH)
  @Matches(EXTERNAL_REF_PATTERN, { message: `externalRef must be ${EXTERNAL_REF_RULE}` })
  externalRef?: string;
}

export class UpdateOrderStatusDto {
  @ApiProperty({ enum: ORDER_STATUSES })
  @IsIn(ORDER_STATUSES)
  status!: OrderStatus;
}
