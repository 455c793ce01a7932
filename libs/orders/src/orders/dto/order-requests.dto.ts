import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDate,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  MinLength,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { EXTERNAL_REF_MAX_LENGTH, EXTERNAL_REF_PATTERN, EXTERNAL_REF_RULE } from '../external-ref.js';
import { ORDER_STATUSES, type OrderStatus } from '../order.entity.js';

export class ListOrdersQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
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
  @MinLength(1)
  @MaxLength(EXTERNAL_REF_MAX_LENGTH)
  @Matches(EXTERNAL_REF_PATTERN, { message: `externalRef must be ${EXTERNAL_REF_RULE}` })
  externalRef?: string;

  @ApiPropertyOptional({ example: 'CUS-01JD8Q5Z3M7R4T6V8X0B2C4D6F', description: 'orders of this customer' })
  @IsOptional()
  @IsString()
  @Matches(/^CUS-[0-9A-HJKMNP-TV-Z]{26}$/, { message: 'customerId must be a customer id (CUS-...)' })
  customerId?: string;

  @ApiPropertyOptional({
    example: 'IMP-01JD8Q5Z3M7R4T6V8X0B2C4D6F',
    description: 'orders created by this import',
  })
  @IsOptional()
  @IsString()
  @Matches(/^IMP-[0-9A-HJKMNP-TV-Z]{26}$/, { message: 'importId must be an import id (IMP-...)' })
  importId?: string;

  @ApiPropertyOptional({
    example: 'operator:3f2c1a9e-8d4b-4c7a-9e1f-2b3c4d5e6f70',
    maxLength: 80,
    description:
      'operators only (a client answers 400: its orders are all its own): orders created by this principal, as in createdBy (operator:<id>, client:<id> or cli:<user>)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(80)
  @Matches(/^(operator|client|cli):[\x21-\x7e]+$/, {
    message: 'createdBy must be operator:<id>, client:<id> or cli:<user>',
  })
  createdBy?: string;
}

export class UpdateOrderStatusDto {
  // paid: the one move a new (placed) order accepts besides cancelled, so the example works.
  @ApiProperty({ enum: ORDER_STATUSES, example: 'paid' })
  @IsIn(ORDER_STATUSES)
  status!: OrderStatus;
}
